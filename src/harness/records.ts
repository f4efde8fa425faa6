// The gate records a gated engine needs (CONTRACT §5): source admission
// records and eligibility decisions, as markdown planning docs in the CTO child
// workspace. Frontmatter `record_type` says which; fields are `Key: value`
// lines. This reader returns plain data plus located problems; it sits behind
// `readGateRecords(dir)` so the shared doc model can replace it later.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ADMISSION_FIELDS as CORE_ADMISSION_FIELDS, ELIGIBILITY_FIELDS, findField, parseDoc, plain, recordType } from "../core";

/** Required fields: the planning core's lists (the validator checks the same ones). */
export const ADMISSION_FIELDS = CORE_ADMISSION_FIELDS;
/** Optional on an admission: the record it replaces (updates keep previous and new ids). */
export const ADMISSION_OPTIONAL = ["Previous source ID", "Admitted arguments"] as const;
export const DECISION_FIELDS = [...ELIGIBILITY_FIELDS, "Decided on"] as const;

export interface LocatedValue {
  value: string;
  line: number;
}

export interface GateRecord {
  /** Workspace-relative posix path. */
  file: string;
  kind: "source-admission" | "eligibility-decision";
  fields: Record<string, LocatedValue>;
}

export interface RecordProblem {
  file: string;
  line: number;
  message: string;
}

export interface GateRecords {
  root: string;
  admissions: GateRecord[];
  decisions: GateRecord[];
  problems: RecordProblem[];
}

const SKIP_DIRS = new Set(["node_modules", ".git", ".cto", "out", "dist"]);

/** The CTO child workspace holding `start` (a file or folder): the nearest folder upward with WORKBOARD.yaml. */
export function findWorkspaceRoot(start: string): string | undefined {
  let dir = resolve(start);
  if (existsSync(dir) && !isDir(dir)) dir = dirname(dir);
  for (;;) {
    if (existsSync(join(dir, "WORKBOARD.yaml"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function isDir(p: string): boolean {
  try {
    return readdirSync(p) !== undefined;
  } catch {
    return false;
  }
}

export interface ReadRecordsOptions {
  /** Folders whose docs never count (a task's own folder, its repo): records come only from the workspace. */
  exclude?: string[];
}

/**
 * Every gate record of the workspace at `dir`. A folder below it that holds its own
 * WORKBOARD.yaml is another workspace, and its records are not this one's.
 */
export function readGateRecords(dir: string, o: ReadRecordsOptions = {}): GateRecords {
  const root = resolve(dir);
  const out: GateRecords = { root, admissions: [], decisions: [], problems: [] };
  const exclude = new Set((o.exclude ?? []).map((p) => resolve(p)).filter((p) => p !== root));
  for (const file of walk(root, root, exclude)) {
    const rel = relative(root, file).split("\\").join("/");
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      out.problems.push({ file: rel, line: 1, message: `cannot read: ${(e as Error).message}` });
      continue;
    }
    // The planning core's doc model: the same frontmatter and `Key: value` fields the validator reads.
    const doc = parseDoc(rel, bytes);
    if (!doc.frontmatter.present) continue;
    const fmError = doc.frontmatter.errors[0];
    if (fmError) {
      if (/record_type\s*:/.test(doc.text)) out.problems.push({ file: rel, line: fmError.range.line, message: `frontmatter does not parse: ${fmError.message}` });
      continue;
    }
    const kind = recordType(doc);
    if (kind !== "source-admission" && kind !== "eligibility-decision") continue;
    const wanted: readonly string[] = kind === "source-admission" ? [...ADMISSION_FIELDS, ...ADMISSION_OPTIONAL] : DECISION_FIELDS;
    const fields: Record<string, LocatedValue> = {};
    for (const key of wanted) {
      const f = findField(doc, key);
      if (f) fields[key] = { value: plain(f.value), line: f.keyRange.line };
    }
    const rec: GateRecord = { file: rel, kind, fields };
    const required: readonly string[] = kind === "source-admission" ? ADMISSION_FIELDS : DECISION_FIELDS;
    for (const f of required) {
      if (!rec.fields[f] || !rec.fields[f]!.value) out.problems.push({ file: rel, line: rec.fields[f]?.line ?? doc.bodyStartLine, message: `${kind} record lacks '${f}:'` });
    }
    (kind === "source-admission" ? out.admissions : out.decisions).push(rec);
  }
  return out;
}

function* walk(dir: string, root: string, exclude: Set<string>): Generator<string> {
  if (exclude.has(dir)) return;
  if (dir !== root && existsSync(join(dir, "WORKBOARD.yaml"))) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* walk(join(dir, e.name), root, exclude);
    } else if (e.isFile() && e.name.endsWith(".md")) yield join(dir, e.name);
  }
}
