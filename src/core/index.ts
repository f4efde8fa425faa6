// The public API of the pure core, shared by the CLI, the extension and the tests.
export * from "./types";
export type * from "./model";
export { parseDoc, isPlanningDoc, decodeText, MAX_DOC_BYTES } from "./parse";
export { CtoWorkspace, sourceOf, LEXICON_FILE } from "./workspace";
export { validateWorkspace, validateWorkspaceDetailed, resolveOptions, compareFindings } from "./validate";
export {
  CONFIG_FILE,
  UNCONFIGURABLE_RULES,
  UNSUPPRESSIBLE_RULES,
  configFolder,
  emptyConfig,
  ignoreMatcher,
  optionsFor,
  parseConfig,
  readConfigFile,
  type ConfigProblem,
  type CtoConfig,
} from "./config";
export { applySuppressions, cleanReason, parseDirectives, reasonProblem, suppressionEdits, type Directive, type SuppressionPlan } from "./suppressions";
export { discoverWorkspaces, loadWorkspace, findRootAbove, skippedDocs, toRel, readText, type DiscoveredWorkspace, type Skipped } from "./load";
export { parseWorkboard, WORKBOARD_FILE, type Workboard, type WorkItem } from "./workboard";
export { buildGraph, dependencyOrder, compareIds, type DependencyGraph } from "./graph";
export { RULES } from "./rules";
export { issueStatus, isDone, type IssueStatus, type IssueState } from "./status";
export { todayUtc, isValidDate } from "./rules/dates";
export type { FsLike, EntryType } from "./fs";
export { nodeFs } from "./nodeFs";
export { buildIssueTree, type IssueNode, type IssueTree, type TreeMode } from "./issueTree";
export { evaluateGates, currentGate, unusableReason, type EvidenceBundle, type GateState, type GateCondition, type GateStateName, type GateInputs } from "./gates";
export {
  candidateDefaultConditions,
  applyRule,
  COMPARED_ENGINES,
  CANDIDATE_ENGINE,
  INCUMBENT_ENGINES,
  type ComparisonEvidence,
  type ComparisonCellEvidence,
  type ComparisonTable,
} from "./comparison";
export { parseComparisonSet, comparisonSetsOf, COMPARISON_SET_GATE, type ComparisonSet, type ComparisonSetTask } from "./comparisonSet";
export * from "./records";
