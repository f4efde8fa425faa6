// `cto init` (and the editor's "Initialize CTO Workspace"): the starter files of a CTO child
// workspace. Never overwrites: each file is created exclusively, and a file (or a symbolic link)
// already in its place is left alone and reported.
import { lstatSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import githubWorkflow from "../../docs/ci/github-actions.yaml";
import { CONFIG_FILE } from "./config";
import { WORKBOARD_FILE } from "./workboard";

export const STARTER_WORKBOARD = `# CTO child workspace: this file marks the folder. List the planning docs and the work items.
# A planning doc is a markdown file with YAML frontmatter; the issue artifact holds
# "### CTO-WORK-NNN - Title" sections, and its frontmatter "source:" names the PRD.
docs:
  - path: PRD.md
    kind: prd
  - path: ISSUES.md
    kind: issues
work:
  - id: CTO-WORK-001
    title: First piece of work
    status: open
    blocked_by: []
`;

export const STARTER_CONFIG = `# CTO Workbench: one configuration for the editor (VS Code) and CI (cto validate).
# Flags (cto validate --rule, --max-review-age-days) and VS Code settings you set override it.
# Schema: schemas/config.schema.json of CTO Workbench. Delete what you do not need.
version: 1

# Severity per rule id: error | warning | info | off.
rules:
  stale-review: warning

# Days last_reviewed may lie in the past before stale-review reports it.
maxReviewAgeDays: 90

# Other candidate backends the drift rules judge like case (one word each), e.g. [nova].
candidates: []

# Markdown docs not to validate: globs from this folder, e.g. [archive/, "**/*.draft.md"].
ignore: []

# Where runs write evidence bundles (and gates read them), and where the failure-fixture tasks
# are (by default the ones shipped with CTO Workbench).
evidenceFolder: .cto/runs
# fixturesFolder: fixtures/harness
`;

export const GITHUB_WORKFLOW_FILE = ".github/workflows/cto.yaml";
export const GITHUB_WORKFLOW = githubWorkflow;

export interface InitResult {
  written: string[];
  skipped: { file: string; reason: string }[];
}

/** Writes the starter files into `dir` (created if missing); `ci: "github"` adds the workflow. */
export function initWorkspace(dir: string, opts: { ci?: "github" } = {}): InitResult {
  const files: [string, string][] = [
    [WORKBOARD_FILE, STARTER_WORKBOARD],
    [CONFIG_FILE, STARTER_CONFIG],
    ...(opts.ci === "github" ? ([[GITHUB_WORKFLOW_FILE, GITHUB_WORKFLOW]] as [string, string][]) : []),
  ];
  const result: InitResult = { written: [], skipped: [] };
  mkdirSync(dir, { recursive: true });
  for (const [rel, text] of files) {
    const why = parentProblem(dir, rel);
    if (why) {
      result.skipped.push({ file: rel, reason: why });
      continue;
    }
    try {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text, { flag: "wx" }); // exclusive: never replaces, never follows a link
      result.written.push(rel);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      result.skipped.push({ file: rel, reason: code === "EEXIST" ? "exists (left as it is)" : `cannot write: ${(e as Error).message}` });
    }
  }
  return result;
}

/** A folder on the way that is a symbolic link (or not a folder) could send the write elsewhere. */
function parentProblem(dir: string, rel: string): string | undefined {
  const parts = rel.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const p = path.join(dir, ...parts.slice(0, i));
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return undefined; // missing: mkdir makes a real folder
    }
    if (st.isSymbolicLink()) return `${parts.slice(0, i).join("/")} is a symbolic link; not written`;
    if (!st.isDirectory()) return `${parts.slice(0, i).join("/")} is not a folder; not written`;
  }
  return undefined;
}
