// Test helpers: in-memory workspaces and paths to the repo's fixtures.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { CtoWorkspace, resolveOptions, sectionDigest, validateWorkspace, validatorCommand, type DoneRecordView, type Finding, type ValidateOptions } from "../../src/core";

/** The repo root: the nearest folder above this (bundled) file holding package.json. */
export const REPO = (() => {
  let d = __dirname;
  while (!existsSync(path.join(d, "package.json")) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
})();
export const FIXTURES = path.join(REPO, "fixtures");
export const SEED_REL = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-ISSUES.md";
export const PRD_REL = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-PRD.md";
export const TODAY = "2026-06-01";

export function options(extra: Partial<ValidateOptions> = {}): ValidateOptions {
  return resolveOptions({ today: TODAY, ...extra });
}

/** A workspace from file texts; `WORKBOARD.yaml` and `.cto/lexicon.yaml` keys are special. */
export function workspace(files: Record<string, string>): CtoWorkspace {
  const ws = new CtoWorkspace("/virtual");
  for (const p of Object.keys(files)) ws.files.add(p);
  ws.setWorkboard(files["WORKBOARD.yaml"]);
  if (files[".cto/lexicon.yaml"] !== undefined) ws.setLexicon(files[".cto/lexicon.yaml"]);
  for (const [p, text] of Object.entries(files)) if (p.endsWith(".md")) ws.setDoc(p, text);
  return ws;
}

export function findings(ws: CtoWorkspace, opts = options()): Finding[] {
  return [...validateWorkspace(ws, opts).values()].flat();
}

export function byRule(list: Finding[], rule: string): Finding[] {
  return list.filter((f) => f.rule === rule);
}

/** A frontmatter block with the required keys; override or drop (undefined) any of them. */
export function fm(extra: Record<string, string | undefined> = {}): string {
  const keys: Record<string, string | undefined> = {
    name: "doc",
    tier: "local",
    status: "draft",
    created: "2026-05-28",
    last_reviewed: "2026-05-30",
    lifecycle_classification: "planning",
    core_promotion_status: "not-promoted",
    ...extra,
  };
  return ["---", ...Object.entries(keys).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${v}`), "---", ""].join("\n");
}

export const DISCLAIMER = "Local planning SOT only. Not a Core Protocol. Not active Core authority.";

export function issue(id: string, blockedBy = "None", extra = ""): string {
  return [
    `### ${id} - Some work`,
    "",
    "Type: AFK",
    "",
    `Blocked by: ${blockedBy}`,
    "",
    "What to build: Something small.",
    "",
    "Acceptance criteria:",
    "",
    "- [ ] It works.",
    "- [x] It is tested.",
    "",
    "Allowed files: docs only.",
    "",
    "Validator: `cto validate`",
    "",
    "Done evidence: validator JSON.",
    extra,
    "",
  ].join("\n");
}

/** A small valid workspace: PRD + issue artifact + WORKBOARD. Override any file. */
export function validFiles(over: Record<string, string> = {}): Record<string, string> {
  return {
    "WORKBOARD.yaml": "docs:\n  - path: prd.md\n  - path: issues.md\nwork:\n  - id: CTO-WORK-001\n    status: done\n",
    "prd.md": `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\nThe problem.\n`,
    "issues.md": `${fm({ name: "issues", source: "prd.md" })}\n# Issues\n\n${DISCLAIMER}\n\n${issue("CTO-WORK-002", "CTO-WORK-001")}\n${issue("CTO-WORK-003", "CTO-WORK-002")}`,
    ...over,
  };
}

/**
 * The view a host hands the core for a done record that matches the issue as the doc says it now
 * (what readDoneRecords yields for a good record): section digest, criteria and argv of the doc.
 */
export function matchingDoneView(ws: CtoWorkspace, id: string, problems: string[] = []): DoneRecordView {
  const def = ws.definitions(id)[0]!;
  const doc = ws.docs.get(def.doc)!;
  const cmd = validatorCommand(def.issue);
  return {
    id,
    file: `.cto/done/${id}.json`,
    problems,
    record: {
      issueId: id,
      commit: "a".repeat(40),
      sectionSha256: sectionDigest(doc, def.issue),
      criteria: def.issue.criteria.map((c) => c.text),
      argv: "argv" in cmd ? cmd.argv : [],
      exitCode: 0,
      stdoutSha256: "b".repeat(64),
      isolation: "bubblewrap",
      signer: "test key",
      recordedAt: "2026-06-01T00:00:00.000Z",
    },
  };
}
