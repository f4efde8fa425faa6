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
export { discoverWorkspaces, loadWorkspace, findRootAbove, skippedDocs, validatedDocs, toRel, readText, readTextOrWhy, type DiscoveredWorkspace, type Skipped } from "./load";
export { parseWorkboard, WORKBOARD_FILE, type Workboard, type WorkItem } from "./workboard";
export { buildGraph, dependencyOrder, compareIds, type DependencyGraph } from "./graph";
export { RULES } from "./rules";
export { issueStatus, isDone, isChecked, stateLabel, type IssueStatus, type IssueState } from "./status";
export { DONE_DIR, allChecked, criterionKey, doneEvidence, issueScope, sectionDigest, type ScopeGlob, type DoneEvidence, type DoneRecordSummary, type DoneRecordView, type DoneState } from "./done";
export { splitArgv, showArgv, validatorCommand, validatorField, VALIDATOR_LIMITS, type ArgvParse, type ValidatorCommand } from "./validatorLine";
export { todayUtc, isValidDate } from "./rules/dates";
export type { FsLike, EntryType } from "./fs";
export { nodeFs } from "./nodeFs";
export { buildIssueTree, type IssueNode, type IssueTree, type TreeMode } from "./issueTree";
export { evaluateGates, currentGate, unusableReason, type EvidenceBundle, type GateState, type GateCondition, type GateStateName, type GateInputs, type MatrixRowProgress } from "./gates";
export { gateContextValue, gateCounts, gateDescription, missingWork, taskStatus, type GateCounts, type MissingWork } from "./gateView";
export { isSelfReview, personVerdict, reviewProblem, taskSetGateConditions, type ReviewEvidence, type TaskProgress, type TaskSetProgress, type TaskSetGateId } from "./gateTaskSets";
export * from "./taskSets";
export { compileAllowed, type AllowedDecision, type AllowedMatcher } from "./allowedFiles";
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
export { analyzeStats } from "./drift/analyze";
export { findClaims, explainSentence, splitSentences } from "./drift";
export { compileLexicon, defaultLexiconSpec, getDefaultLexicon } from "./lexicon";
