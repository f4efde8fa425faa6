// `cto engines` / "CTO: Check Engines": what a user runs first on a new
// machine. Per engine: is its CLI found (and where it really lives), which
// version (probed inside the same isolation a run uses, never on the host),
// where its configuration would be seeded from, whether it can start inside the
// isolation, and for a gated engine whether it is enabled, admitted (the
// executable's hash matches a source admission record) and eligible.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { homeEnv, pick } from "../childenv";
import { checkEligibility } from "../gating";
import { installationOf } from "../installation";
import { planIsolation, SANDBOX_GID, SANDBOX_UID, wrapCommand, type IsolationRequest } from "../isolation";
import { startProc, whichSync } from "../proc";
import type { Task } from "../task";
import { caseUserDataDir, CASE_SEED } from "./case";
import { versionFrom } from "./cli";
import { codexUserHome, CODEX_SEED } from "./codex";
import { PI_SEED, piUserAgentDir } from "./pi";
import { getEngine, ENGINE_IDS } from "./registry";

export interface EngineCheck {
  id: string;
  gated: boolean;
  summary: string;
  command: string[];
  found: boolean;
  /** The real path of the executable (links resolved), when found. */
  executable: string | null;
  /** What a run binds read-only: the real installation. */
  installation: string[];
  version: string | null;
  /** Where the per-run home would be seeded from, and which of the seeded names exist there. */
  config: { variable: string; from: string; exists: boolean; entries: string[] } | null;
  /** Whether the CLI could be started inside the isolation (its version flag, or --help). */
  starts: boolean | null;
  start_detail: string;
  isolation: string;
  gate: { enabled: boolean; admitted: boolean; eligible: boolean; reasons: string[]; admission?: string; decision?: string } | null;
}

export interface CheckOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Engines to check (default: all). */
  engines?: string[];
  /** A task whose engine_options.command configures the commands (optional). */
  task?: Task;
  enableGated?: string[];
  recordsDir?: string;
  isolation?: IsolationRequest;
}

const START_TIMEOUT_MS = 20_000;

/** The configuration source each adapter seeds its per-run home from. */
function configSource(id: string, env: NodeJS.ProcessEnv): EngineCheck["config"] {
  const src =
    id === "codex"
      ? { variable: "CODEX_HOME", from: codexUserHome(env), names: CODEX_SEED }
      : id === "pi"
        ? { variable: "PI_CODING_AGENT_DIR", from: piUserAgentDir(env), names: PI_SEED }
        : id === "case"
          ? { variable: "CASE_DATA_DIR", from: caseUserDataDir(env), names: [...CASE_SEED, "projects.json"] }
          : undefined;
  if (!src) return null;
  let present: string[] = [];
  try {
    const have = new Set(readdirSync(src.from));
    present = src.names.filter((n) => have.has(n));
  } catch {
    /* no such folder */
  }
  return { variable: src.variable, from: src.from, exists: existsSync(src.from), entries: present };
}

export async function checkEngines(o: CheckOptions = {}): Promise<EngineCheck[]> {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const ids = o.engines ?? ENGINE_IDS;
  const out: EngineCheck[] = [];
  for (const id of ids) {
    const a = getEngine(id);
    if (!a) throw new Error(`unknown engine '${id}' (known: ${ENGINE_IDS.join(", ")})`);
    const request: IsolationRequest = o.isolation ?? (a.gated ? "required" : "auto");
    const plan = planIsolation(request, env);
    const task = o.task ?? ({ engine_options: {}, file: join(cwd, "task.yaml") } as unknown as Task);
    const command = a.command(task, env);
    const located = id === "fake" ? process.execPath : whichSync(command[0]!, cwd, env);
    const executable = located ? realpathSync(located) : null;
    const c: EngineCheck = {
      id,
      gated: a.gated,
      summary: a.summary,
      command: id === "fake" ? ["(built in)"] : command,
      found: !!executable,
      executable,
      installation: [],
      version: a.fixedVersion ?? null,
      config: configSource(id, env),
      starts: null,
      start_detail: "",
      isolation: plan.kind,
      gate: null,
    };
    if (!executable) c.start_detail = `'${command[0]}' not found${command[0]!.includes("/") ? "" : " on PATH"}`;
    else if (id === "fake") {
      c.starts = true;
      c.start_detail = "the harness's own engine";
    } else {
      const inst = installationOf(executable, env, [env.HOME ?? "", homedir()].filter(Boolean));
      c.installation = inst.paths;
      if (request === "required" && plan.kind === "none") {
        c.starts = false;
        c.start_detail = `isolation is required but unavailable: ${plan.reason}`;
      } else {
        const probe = await startInside(plan, [...command, ...(a.versionArgs ?? ["--help"])], inst.paths, env, [...(a.passEnv ?? [])]);
        c.starts = probe.starts;
        c.start_detail = probe.detail;
        if (a.versionArgs && probe.exitCode === 0) c.version = versionFrom(probe.stdout, probe.stderr);
      }
    }
    if (a.gated) {
      const enabled = (o.enableGated ?? []).includes(id);
      if (executable) {
        const e = checkEligibility(id, { program: executable, args: command.slice(1) }, { cwd, recordsDir: o.recordsDir, exclude: [] });
        c.gate = { enabled, admitted: !!e.admission, eligible: e.ok, reasons: e.reasons, ...(e.admission ? { admission: e.admission } : {}), ...(e.decision ? { decision: e.decision } : {}) };
      } else c.gate = { enabled, admitted: false, eligible: false, reasons: ["the executable is not found: nothing to admit"] };
    }
    out.push(c);
  }
  return out;
}

/** Runs argv inside the isolation with an empty home and no network, as a run's version probe does. */
async function startInside(plan: ReturnType<typeof planIsolation>, argv: string[], installation: string[], env: NodeJS.ProcessEnv, passEnv: string[]): Promise<{ starts: boolean; detail: string; exitCode: number | null; stdout: string; stderr: string }> {
  const root = mkdtempSync(join(tmpdir(), "cto-engines-check-"));
  try {
    const home = join(root, "home");
    const tmp = join(root, "tmp");
    const work = join(root, "work");
    for (const d of [home, tmp, work]) mkdirSync(d);
    if (plan.dropRoot) {
      for (const d of [root, home, tmp, work]) {
        chmodSync(d, 0o755);
        try {
          chownSync(d, SANDBOX_UID, SANDBOX_GID);
        } catch {
          /* not root after all */
        }
      }
    }
    const wrapped = wrapCommand(plan, argv, { writable: [work, home, tmp], readOnly: installation, network: false, cwd: work });
    const r = await startProc({ argv: wrapped.argv, uid: wrapped.uid, gid: wrapped.gid, cwd: work, env: { ...homeEnv(env, home, tmp), ...pick(env, passEnv) }, timeoutMs: START_TIMEOUT_MS, limits: { head: 64 * 1024, tail: 0, line: 4096 } }).done;
    const stdout = r.stdout.data.toString("utf8");
    const stderr = r.stderr.data.toString("utf8");
    const firstErr = stderr.split("\n").map((l) => l.trim()).find(Boolean) ?? "";
    if (r.spawnError) return { starts: false, detail: `cannot be started: ${r.spawnError.message}`, exitCode: null, stdout, stderr };
    if (r.timedOut) return { starts: false, detail: `'${argv.slice(-1)[0]}' did not return within ${START_TIMEOUT_MS / 1000} s inside the isolation`, exitCode: null, stdout, stderr };
    if (/^bwrap:/.test(firstErr)) return { starts: false, detail: `the isolation could not start it: ${firstErr}`, exitCode: r.exitCode, stdout, stderr };
    if (r.exitCode === 126 || r.exitCode === 127 || r.signal) return { starts: false, detail: `exited ${r.exitCode}${r.signal ? ` (${r.signal})` : ""} inside the isolation: ${firstErr.slice(0, 200)}`, exitCode: r.exitCode, stdout, stderr };
    return { starts: true, detail: `'${argv.slice(-1)[0]}' ran inside the ${plan.kind === "bubblewrap" ? "bubblewrap sandbox" : "unisolated child"} (exit ${r.exitCode})`, exitCode: r.exitCode, stdout, stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The text form `cto engines` prints (and the VS Code command shows). */
export function renderCheck(c: EngineCheck): string {
  const yes = (b: boolean | null | undefined) => (b ? "yes" : b === null || b === undefined ? "-" : "no");
  const lines = [`${c.id}${c.gated ? " (gated)" : ""} — ${c.summary}`];
  lines.push(`  found:      ${c.found ? `yes, ${c.executable}` : `no (${c.start_detail})`}`);
  if (c.installation.length) lines.push(`  installed:  ${c.installation.join(", ")} (bound read-only in a run)`);
  lines.push(`  version:    ${c.version ?? "unknown"}`);
  if (c.config) lines.push(`  config:     ${c.config.variable} seeded from ${c.config.from}${c.config.exists ? ` (${c.config.entries.length ? c.config.entries.join(", ") : "nothing to seed"})` : " (does not exist: the CLI's defaults)"}`);
  if (c.found) lines.push(`  starts:     ${yes(c.starts)} — ${c.start_detail} [isolation: ${c.isolation}]`);
  if (c.gate) {
    lines.push(`  enabled:    ${yes(c.gate.enabled)}${c.gate.enabled ? "" : ` (--enable-gated ${c.id}, or the cto.harness.enabledGatedEngines setting)`}`);
    lines.push(`  admitted:   ${yes(c.gate.admitted)}${c.gate.admission ? ` (${c.gate.admission})` : ""}`);
    lines.push(`  eligible:   ${yes(c.gate.eligible)}${c.gate.decision ? ` (${c.gate.decision})` : ""}`);
    for (const r of c.gate.reasons.slice(0, 5)) lines.push(`              ${r}`);
  }
  return lines.join("\n");
}
