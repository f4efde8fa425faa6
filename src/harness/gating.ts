// Gating for gated engines (case): enabled explicitly, AND admitted (a valid
// source admission record binding the whole resolved command: its `Integrity
// hash:` is the sha256 of the program's real file — links resolved — and any
// argument the configured command adds must be listed exactly in its
// `Admitted arguments:`), AND eligible (a decision selecting the engine, made
// by someone other than that engine). Records come only from the workspace the
// user configured, never from the task's own folder. Each refusal names the
// record and line.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { findWorkspaceRoot, readGateRecords, type GateRecord, type GateRecords } from "./records";

export interface EligibilityResult {
  ok: boolean;
  reasons: string[];
  /** Which records were used (workspace-relative). */
  admission?: string;
  decision?: string;
  workspace?: string;
}

export function sha256FileSync(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

const norm = (s: string) => s.replace(/[`*"']/g, "").trim().toLowerCase();
const listOf = (s: string) => norm(s).split(/[,;]|\band\b/).map((x) => x.trim()).filter(Boolean);

/** Does `decidedBy` name the engine itself (or its CLI)? "not case" does not count. */
export function decidedBySelf(decidedBy: string, engineId: string): boolean {
  const v = norm(decidedBy);
  if (/^not\b/.test(v)) return false;
  const tokens = v.split(/[^a-z0-9/_.-]+/).filter(Boolean);
  const selfNames = new Set([engineId, engineId === "case" ? "ca" : engineId, `workos/${engineId}`, `${engineId}-engine`, `${engineId} engine`]);
  return tokens.some((t, i) => selfNames.has(t) && tokens[i - 1] !== "not");
}

/** The command as it will run: the program's real path and the arguments before the adapter's own. */
export interface AdmittedCommand {
  program?: string;
  args: string[];
}

/** `Admitted arguments:` as an argv: a JSON array, or words (backticks and quotes stripped). */
export function parseAdmittedArgs(v: string): string[] {
  const t = v.trim().replace(/^`|`$/g, "");
  if (t.startsWith("[")) {
    try {
      const a = JSON.parse(t);
      if (Array.isArray(a) && a.every((x) => typeof x === "string")) return a;
    } catch {
      /* fall through: words */
    }
  }
  return t === "" || /^(none|—|-)$/i.test(t) ? [] : t.split(/\s+/);
}

export function evaluateEligibility(engineId: string, command: AdmittedCommand, records: GateRecords, today = new Date()): EligibilityResult {
  const executable = command.program;
  const reasons: string[] = [];
  const at = (r: GateRecord, field: string) => `${r.file}:${r.fields[field]?.line ?? 1}`;
  const complete = (r: GateRecord) => !records.problems.some((p) => p.file === r.file);

  // Admission: complete, well-formed, not superseded, hash = the executable's.
  const superseded = new Set(records.admissions.map((r) => r.fields["Previous source ID"]?.value).filter((v): v is string => !!v));
  let admission: GateRecord | undefined;
  let exeHash: string | undefined;
  if (!executable) reasons.push("the configured executable cannot be located, so its integrity cannot be checked");
  else {
    try {
      exeHash = "sha256:" + sha256FileSync(executable);
    } catch (e) {
      reasons.push(`cannot hash the configured executable ${executable}: ${(e as Error).message}`);
    }
  }
  const usable = records.admissions.filter((r) => {
    if (!complete(r)) return false;
    const h = r.fields["Integrity hash"]!.value;
    if (!/^sha256:[0-9a-f]{64}$/i.test(h)) {
      reasons.push(`${at(r, "Integrity hash")}: integrity hash '${h}' is not sha256:<64 hex>`);
      return false;
    }
    if (superseded.has(r.fields["Source ID"]!.value)) return false;
    return true;
  });
  if (records.admissions.length === 0) reasons.push("no source admission record (record_type: source-admission) in the workspace");
  else if (usable.length === 0) reasons.push(`no valid source admission record (${records.problems.filter((p) => records.admissions.some((a) => a.file === p.file)).map((p) => `${p.file}:${p.line}: ${p.message}`).join("; ") || "all superseded or malformed"})`);
  else if (exeHash) {
    const hashed = usable.filter((r) => r.fields["Integrity hash"]!.value.toLowerCase() === exeHash);
    if (!hashed.length) reasons.push(`integrity hash mismatch: the configured executable ${executable} is ${exeHash}; admitted: ${usable.map((r) => `${r.fields["Integrity hash"]!.value} (${at(r, "Integrity hash")})`).join(", ")}`);
    // The whole command is admitted, not argv[0]: `sh -c <anything>` is not `sh`.
    const want = JSON.stringify(command.args);
    admission = hashed.find((r) => JSON.stringify(parseAdmittedArgs(r.fields["Admitted arguments"]?.value ?? "")) === want);
    if (hashed.length && !admission) {
      reasons.push(`the configured command adds arguments ${want} that no admission record admits (${hashed.map((r) => `${at(r, "Integrity hash")}: Admitted arguments ${JSON.stringify(parseAdmittedArgs(r.fields["Admitted arguments"]?.value ?? ""))}`).join("; ")})`);
    }
  }

  // Eligibility decision: selects the engine, does not deny it, decided by someone else, dated.
  const selecting = records.decisions.filter((r) => norm(r.fields["Selected backend"]?.value ?? "") === engineId);
  let decision: GateRecord | undefined;
  if (selecting.length === 0) reasons.push(`no eligibility decision selects '${engineId}' (${records.decisions.length} decision record(s) found)`);
  for (const r of selecting) {
    const why: string[] = [];
    if (!complete(r)) why.push(...records.problems.filter((p) => p.file === r.file).map((p) => `${p.file}:${p.line}: ${p.message}`));
    const by = r.fields["Decided by"]?.value ?? "";
    if (by && decidedBySelf(by, engineId)) why.push(`${at(r, "Decided by")}: decided by '${by}' — ${engineId} cannot decide its own eligibility`);
    if (listOf(r.fields["Denied backends"]?.value ?? "").includes(engineId)) why.push(`${at(r, "Denied backends")}: the same decision denies '${engineId}'`);
    const on = r.fields["Decided on"]?.value ?? "";
    if (on && (!/^\d{4}-\d{2}-\d{2}$/.test(on) || Number.isNaN(Date.parse(on)) || Date.parse(on) > today.getTime())) why.push(`${at(r, "Decided on")}: '${on}' is not a past YYYY-MM-DD date`);
    if (why.length === 0) {
      decision = r;
      break;
    }
    reasons.push(...why);
  }
  const ok = !!admission && !!decision;
  return { ok, reasons: ok ? [] : reasons, admission: admission?.file, decision: decision?.file, workspace: records.root };
}

/**
 * Evaluates the records of the workspace the user configured: `recordsDir`, else the CTO
 * child workspace of the caller's cwd. The task's folder and repo never contribute.
 */
export function checkEligibility(engineId: string, command: AdmittedCommand, o: { cwd: string; recordsDir?: string; exclude: string[] }): EligibilityResult {
  const dir = o.recordsDir ?? findWorkspaceRoot(o.cwd);
  if (!dir) return { ok: false, reasons: [`no CTO child workspace (a folder with WORKBOARD.yaml) at or above ${o.cwd}, and no --records given`] };
  return evaluateEligibility(engineId, command, readGateRecords(dir, { exclude: o.exclude }));
}
