// The harness's public surface: what the CLI and the VS Code layer import.
// Pure Node — never imports `vscode`.
export { runTask, newRunId, RunUsageError, type RunOptions, type RunHooks, type RunResult } from "./runner";
export { verifyBundle, describeSignature, VerifyUsageError, VERIFY_EXIT, DEFAULT_MAX_AGE_DAYS, type VerifyOptions, type VerifyResult, type VerifyProblem, type Verdict, type SignatureSummary } from "./verify";
export {
  loadSigningKey,
  loadTrustStore,
  parseTrustedKeys,
  signingKeyPath,
  trustedKeyLine,
  defaultKeyName,
  shortKeyId,
  SigningKeyError,
  TRUSTED_KEYS_FILE,
  type SigningKey,
  type TrustStore,
  type TrustedKey,
  type TrustOptions,
} from "./keys";
export { pae, buildStatement, checkEnvelope, STATEMENT_TYPE, PREDICATE_TYPE, PAYLOAD_TYPE, type Statement, type Envelope, type SignatureState } from "./attest";
export { BUNDLE_LIMITS, listBundle, readRegularFile, readRegularFileHead, UnsafeFileError, type BundleLimits } from "./bundleFs";
export { loadTask, parseTask, TaskError, TASK_KEYS, TASK_DEFAULTS, TASK_LIMITS, type Task, type ScenarioStep, type TaskPositions } from "./task";
export { compileAllowed, allowedPatternProblem, ALLOWED_LIMITS } from "./allowed";
export { checkEngineOptions, engineOptionProblems } from "./engineOptions";
export { checkTaskRepo, scanPlainFolder, REPO_LIMITS } from "./repocheck";
export { defaultRunsDir } from "./runsdir";
export { PolicyApprover, type Approver, type ApprovalRequest, type ApprovalDecision, type AskCallback } from "./approver";
export { getEngine, listEngines, ENGINE_IDS } from "./engines/registry";
export type { OptionSpec, EngineAdapter, EngineSink, EngineSession, EngineLaunch, EngineProbe, EngineRunContext, Normalizer } from "./engines/types";
export { readGateRecords, findWorkspaceRoot, type GateRecords, type GateRecord } from "./records";
export { evaluateEligibility, checkEligibility } from "./gating";
export * from "./contract";
export { listFixtureRows, readFixtureRow, prepareFixtureRow, isRowTask, type FixtureRow, type FixtureExpectation, type PreparedRow } from "./fixtures";
export { bubblewrapWorks, planIsolation, type IsolationRequest } from "./isolation";
export {
  loadMatrix,
  matrixFromDocs,
  findMatrixWorkspace,
  runFixtures,
  selectRows,
  folderOfRow,
  unmatchedFolders,
  compareWithRow,
  judgeBundle,
  packageFixturesDir,
  rowKey,
  MatrixWorkspaceError,
  type MatrixExpectation,
  type MatrixProblem,
  type FixtureOutcome,
  type RunFixturesOptions,
  type Observed,
} from "./matrix";
export { readEvidence, scanEvidence, type EvidenceEntry, type ReadEvidenceOptions, type ScannedBundle } from "./evidence";
export { compareEngines, runShard, prepareSet, taskRef, CompareUsageError, CompareError, DEFAULT_COMPARE_ENGINES, SHARD_FILE, SHARD_SCHEMA, type CompareOptions, type ShardRecord } from "./compare";
export {
  checkComparison,
  comparisonFolders,
  writeComparison,
  bundleDigest,
  COMPARISON_SCHEMA,
  COMPARISON_PREDICATE_TYPE,
  COMPARISON_FILES,
  UNAVAILABLE_BLOCKERS,
  type Comparison,
  type ComparisonCell,
  type ComparisonTask,
  type ComparisonCheck,
  type EngineSummary,
} from "./comparisonFile";
export { renderComparisonMd } from "./comparisonMd";
export { mergeShards, type MergeOptions, type MergeResult } from "./merge";
export { readComparisons, type ReadComparisonsOptions } from "./comparisonEvidence";
export { parseShard, formatShard, assignShards, cellsOfShard, ShardSpecError, MAX_SHARDS, type Shard } from "./shard";
// Issue 12: task sets, reviews by a person, throwaway repos, the gates' evidence.
export { readTaskFacts, loadTaskFacts, type TaskFactsOptions } from "./taskFacts";
export { createReview, readReviews, reviewRefusal, reviewsDirOf, checkReviewer, ReviewError, REVIEW_PREDICATE_TYPE, REVIEW_SCHEMA, REVIEWS_DIR, type ReviewPredicate, type CreateReviewOptions, type CreatedReview } from "./reviews";
export { createSandboxRepo, readSandboxRepo, applySandboxRepo, SandboxRepoError, SANDBOX_REPO_PREDICATE_TYPE, SANDBOX_REPO_MARKER, type SandboxRepoPredicate, type CreateSandboxRepoOptions } from "./sandboxRepo";
export { readGateEvidence, type GateEvidence, type GateEvidenceOptions } from "./gateEvidence";
export { readGitIdentity, type GitIdentity } from "./gitIdentity";
export { readDoneRecords, attachDoneRecords, inScope, DONE_PREDICATE_TYPE, RECHECK_PREDICATE_TYPE, DONE_SCHEMA, RECHECK_SCHEMA, MAX_RECORD_BYTES, type DonePredicate, type RecheckPredicate, type OutputDigest, type ReadDoneOptions } from "./doneRecord";
export { recordDone, recheckDone, runValidator, prepareDone, runFailure, DoneError, DONE_EXIT, DEFAULT_VALIDATOR_TIMEOUT_S, SANDBOX_PLACEHOLDER, type DoneOptions, type DoneOutcome, type ValidatorRun, type ValidatorRunOptions } from "./doneRun";
export { findGitTop, HistoryReader, isCommitId } from "./gitHistory";
