// `case`: the `ca` CLI of workos/case, a gated candidate engine. Runs
//   ca run --task <data dir>/tasks/active/<slug>.task.json --mode unattended
// (command configurable: engine_options.command, or CTO_CASE_COMMAND).
//
// What the real `ca` (30b1fa1) needs, and the per-run home gives it:
// - its data folder (CASE_DATA_DIR = <home>/.config/case), seeded from the
//   user's (CASE_DATA_DIR, $XDG_CONFIG_HOME/case or ~/.config/case: config.json,
//   agent-versions/), with a config.json whose `projects` is ./projects.json
//   and a projects.json naming the sandbox repo — `ca` finds the target repo
//   there, not through its working directory;
// - a writable task file (it rewrites the task's status in place), in the data
//   folder's tasks/active/ (older `ca` derived its root from that path);
// - its agents are pi sessions: a pi agent folder seeded as for `pi`.
// `ca` exits 0 when its pipeline failed: the outcome is the log's pipeline_end.
//
// The event log, <work tree>/.case/<slug>/events/run-<runId>.jsonl
// (src/events/schema.ts: every line {ts, sequence, runId, event, …}), is read
// when `ca` ends. Its
// maintainers call the format transitional, so the reader fails closed: a line
// it cannot read, an unknown event, a sequence gap or no log at all is
// `missing_event` — never a guess. Case has no approvals: an event whose *type*
// (or a state it moves to) is an approval decision is a self-approval. Tool
// arguments and results are JSON strings holding whole tool outputs (file
// contents, test logs): free text in them decides nothing.
import { mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { looksLikeApproval, parseJsonLine, type EngineAdapter, type EngineSink, type HomeRecord, type Normalizer } from "./types";
import { COMMAND_OPTION, configuredCommand, NETWORK_OPTION } from "./cli";
import { configDir, NETWORK_ENV, seedFolder, userHome } from "./home";
import { PI_PROVIDER_ENV, seedPiAgentDir } from "./pi";

export const CASE_STATE_DIR = ".case";
export const CASE_SEED = ["config.json", "agent-versions"];

/** The user's case data folder: $CASE_DATA_DIR, else $XDG_CONFIG_HOME/case, else ~/.config/case (src/paths.ts). */
export function caseUserDataDir(userEnv: NodeJS.ProcessEnv): string {
  const xdg = userEnv.XDG_CONFIG_HOME;
  return configDir(userEnv, "CASE_DATA_DIR", xdg && xdg.startsWith("/") ? join(xdg, "case") : join(userHome(userEnv), ".config", "case"));
}

export const caseEngine: EngineAdapter = {
  id: "case",
  gated: true,
  summary: "workos/case `ca` CLI (gated candidate backend)",
  statePaths: [CASE_STATE_DIR],
  options: {
    command: COMMAND_OPTION,
    network: NETWORK_OPTION,
  },
  command: (task, env) => configuredCommand(task, env, "CTO_CASE_COMMAND", ["ca"]),
  // `ca` documents no --version; availability is the executable, identity its hash.
  versionArgs: null,
  passEnv: [...PI_PROVIDER_ENV, ...NETWORK_ENV],
  // Not watched: Case's agents may think for minutes between two log lines, and its own
  // pipeline ends a dead provider (its agents are pi sessions with their own timeouts and
  // retries); the verdict is the log's pipeline_end. timeout_s still bounds the run.
  watchProgress: false,
  start(ctx) {
    const slug = ctx.task.id;
    const dataDir = join(ctx.home, ".config", "case");
    const seed = seedFolder(caseUserDataDir(ctx.userEnv), dataDir, CASE_SEED);
    const written = writeCaseDataDir(dataDir, slug, ctx.workTree, ctx.task.repo, ctx.task.prompt, seed.from);
    const pi = seedPiAgentDir(ctx.home, ctx.userEnv);
    const home: HomeRecord[] = [{ variable: "CASE_DATA_DIR", ...seed, written: written.names }, pi.record];

    const eventsDir = join(ctx.workTree, CASE_STATE_DIR, slug, "events");
    const before = new Set(listLogs(eventsDir));
    return {
      launch: {
        argv: [...ctx.command, "run", "--task", written.taskJson, "--mode", "unattended"],
        env: { ...ctx.env, ...pi.env, CASE_DATA_DIR: dataDir },
        stdin: "ignore",
        network: ctx.options.network !== false, // its agents are pi sessions talking to a model provider
      },
      home,
      stdoutLine: () => {
        /* Case's stdout is for people; the raw log keeps it. The event log is the evidence. */
      },
      async finish() {
        const fresh = listLogs(eventsDir).filter((f) => !before.has(f));
        if (fresh.length === 0) return ctx.sink.missing(`Case wrote no event log under ${CASE_STATE_DIR}/${slug}/events/`, "incomplete");
        if (fresh.length > 1) return ctx.sink.missing(`Case wrote ${fresh.length} event logs for one run (${fresh.join(", ")}); refusing to guess which is this run's`, "unreadable");
        let text: string;
        try {
          const buf = readFileSync(join(eventsDir, fresh[0]!));
          ctx.saveRaw("case.events.jsonl", buf);
          text = buf.toString("utf8");
        } catch (e) {
          return ctx.sink.missing(`Case's event log cannot be read: ${(e as Error).message}`, "unreadable");
        }
        const norm = createCaseNormalizer(ctx.sink, fresh[0]!.replace(/^run-|\.jsonl$/g, ""));
        for (const line of text.split("\n")) norm.line(line);
        norm.end();
        // What `ca` made of its task file (it rewrites the status in place): kept as evidence.
        try {
          ctx.saveRaw("case.task.json", readFileSync(written.taskJson));
        } catch {
          /* gone: nothing to keep */
        }
      },
    };
  },
};

interface ProjectEntry {
  name: string;
  path: string;
  remote?: string;
  description?: string;
  language?: string;
  packageManager?: string;
  commands?: Record<string, string>;
}

/**
 * config.json (the user's, with `projects` pointed at ./projects.json), a
 * projects.json holding one repo — the sandbox, under the task's slug — and the
 * task's .task.json + .md in tasks/active/. When the user's own projects.json
 * describes the source repo, its language, package manager and commands carry over.
 */
export function writeCaseDataDir(dataDir: string, slug: string, workTree: string, sourceRepo: string, prompt: string, userDataDir: string | null): { taskJson: string; names: string[] } {
  let config: Record<string, unknown> = { version: 1 };
  try {
    const c = JSON.parse(readFileSync(join(dataDir, "config.json"), "utf8"));
    if (c && typeof c === "object" && !Array.isArray(c)) config = c as Record<string, unknown>;
  } catch {
    /* none or unreadable: case's defaults, plus our projects path */
  }
  writeFileSync(join(dataDir, "config.json"), JSON.stringify({ ...config, projects: "./projects.json" }, null, 2) + "\n");

  const known = userDataDir ? userProjectFor(userDataDir, config, sourceRepo) : undefined;
  const entry: ProjectEntry = {
    language: "unknown",
    packageManager: "unknown",
    commands: {},
    ...(known ? { language: known.language, packageManager: known.packageManager, commands: known.commands, description: known.description } : {}),
    name: slug,
    path: workTree,
    remote: "",
  };
  writeFileSync(join(dataDir, "projects.json"), JSON.stringify({ repos: [entry] }, null, 2) + "\n");

  const tasks = join(dataDir, "tasks", "active");
  mkdirSync(tasks, { recursive: true });
  const taskJson = join(tasks, `${slug}.task.json`);
  // tasks/task.schema.json: id, status, created, repo (the projects.json name).
  writeFileSync(taskJson, JSON.stringify({ id: slug, status: "active", created: new Date().toISOString(), repo: slug, issueType: "freeform" }, null, 2) + "\n");
  writeFileSync(join(tasks, `${slug}.md`), `# ${slug}\n\n${prompt}\n`);
  return { taskJson, names: ["config.json", "projects.json", `tasks/active/${slug}.task.json`, `tasks/active/${slug}.md`] };
}

function userProjectFor(userDataDir: string, config: Record<string, unknown>, sourceRepo: string): ProjectEntry | undefined {
  const rel = typeof config.projects === "string" ? config.projects : "./projects.json";
  const file = rel.startsWith("/") ? rel : join(userDataDir, rel);
  try {
    const repos = (JSON.parse(readFileSync(file, "utf8")) as { repos?: ProjectEntry[] }).repos ?? [];
    const want = realpathSync(sourceRepo);
    return repos.find((r) => {
      try {
        return typeof r?.path === "string" && realpathSync(r.path.startsWith("/") ? r.path : join(userDataDir, r.path)) === want;
      } catch {
        return false;
      }
    });
  } catch {
    return undefined;
  }
}

function listLogs(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /^run-.+\.jsonl$/.test(f))
      .sort();
  } catch {
    return [];
  }
}

type Check = (e: Record<string, unknown>) => string | undefined;
const str =
  (k: string): Check =>
  (e) =>
    typeof e[k] === "string" ? undefined : `'${k}' is not a string`;
const num =
  (k: string): Check =>
  (e) =>
    typeof e[k] === "number" ? undefined : `'${k}' is not a number`;
const oneOf =
  (k: string, vals: string[]): Check =>
  (e) =>
    vals.includes(e[k] as string) ? undefined : `'${k}' is not one of ${vals.join("|")}`;

/** The event kinds of src/events/schema.ts, each with the fields we rely on. */
const CASE_EVENTS: Record<string, Check[]> = {
  pipeline_start: [str("taskId")],
  phase_start: [str("phase"), str("agent")],
  phase_end: [str("phase"), str("agent"), oneOf("outcome", ["completed", "failed", "skipped"]), num("durationMs")],
  tool_start: [str("toolCallId"), str("tool")],
  tool_end: [str("toolCallId"), str("tool"), num("durationMs")],
  revision_requested: [oneOf("source", ["verifier", "reviewer", "human"]), num("cycle")],
  revision_budget_exhausted: [],
  status_changed: [str("from"), str("to")],
  marker_written: [str("marker"), str("path")],
  pipeline_end: [oneOf("outcome", ["completed", "failed"]), num("durationMs")],
};

/**
 * Structured fields whose value is a state or a decision (not free text): an
 * approval there is the engine approving itself. Tool args/results and phase
 * results are free text and are never read for approvals.
 */
const STATE_FIELDS = ["to", "marker", "decision"];

const WRITING_TOOLS = new Set(["write", "edit"]);

export function createCaseNormalizer(sink: EngineSink, expectedRunId?: string): Normalizer {
  let lineNo = 0;
  let lastSeq = 0;
  let runId: string | undefined;
  let finished = false;
  let broken = false;
  /** Per phase: its first real outcome (a later `skipped` for the same phase does not undo it), and its tool calls. */
  const phases = new Map<string, { agent: string; outcome?: string; error?: string; tools: number }>();
  const phaseOf = (name: string, agent: string) => {
    let p = phases.get(name);
    if (!p) phases.set(name, (p = { agent, tools: 0 }));
    return p;
  };
  const bad = (why: string) => {
    broken = true;
    sink.missing(`Case event log line ${lineNo}: ${why}`, "unreadable");
  };
  return {
    line(text) {
      lineNo++;
      if (broken || !text.trim()) return;
      const e = parseJsonLine(text);
      if (!e) return bad("not a JSON object");
      const name = e.event;
      if (looksLikeApproval(name) || STATE_FIELDS.some((k) => looksLikeApproval(e[k]))) {
        // Keep the sequence bookkeeping so the lines after it are still read in order.
        if (typeof e.sequence === "number") lastSeq = e.sequence;
        if (typeof e.runId === "string") runId ??= e.runId;
        return sink.selfApproval(`case ${String(name)}`, { line: lineNo, event: name });
      }
      if (typeof name !== "string" || !(name in CASE_EVENTS)) return bad(`unknown event '${String(name)}'`);
      if (typeof e.ts !== "string" || Number.isNaN(Date.parse(e.ts))) return bad("missing or invalid 'ts'");
      if (typeof e.sequence !== "number" || e.sequence !== lastSeq + 1) return bad(`sequence ${String(e.sequence)} does not follow ${lastSeq}`);
      if (typeof e.runId !== "string" || (runId ?? expectedRunId ?? e.runId) !== e.runId) return bad(`runId '${String(e.runId)}' is not this run's`);
      for (const c of CASE_EVENTS[name]!) {
        const why = c(e);
        if (why) return bad(`${name}: ${why}`);
      }
      runId = e.runId;
      lastSeq = e.sequence;
      if (finished) return bad(`'${name}' after pipeline_end`);
      switch (name) {
        case "pipeline_start":
          return sink.event("engine.pipeline_started", { task_id: e.taskId, profile: e.profile ?? null, case_run_id: e.runId });
        case "phase_start":
          phaseOf(String(e.phase), String(e.agent));
          return sink.event("engine.phase_started", { phase: e.phase, agent: e.agent });
        case "phase_end": {
          const p = phaseOf(String(e.phase), String(e.agent));
          const repeated = p.outcome !== undefined;
          if (!repeated || (p.outcome === "skipped" && e.outcome !== "skipped")) {
            p.outcome = String(e.outcome);
            const err = (e.result as { error?: unknown } | undefined)?.error;
            if (typeof err === "string") p.error = err;
          }
          return sink.event("engine.phase_finished", { phase: e.phase, agent: e.agent, outcome: e.outcome, duration_ms: e.durationMs, ...(repeated ? { repeated: true } : {}) });
        }
        case "tool_start": {
          if (typeof e.phase === "string") phaseOf(e.phase, String(e.agent ?? "")).tools++;
          sink.event("engine.tool_started", { tool_call_id: e.toolCallId, tool: e.tool, phase: e.phase ?? null, agent: e.agent ?? null });
          const path = WRITING_TOOLS.has(String(e.tool)) ? argPath(e.args) : undefined;
          if (path) {
            sink.event("file.changed", { path, action: String(e.tool), reported_by: "engine" });
            sink.fileTouched(path, String(e.tool));
          }
          return;
        }
        case "tool_end":
          return sink.event("engine.tool_finished", { tool_call_id: e.toolCallId, tool: e.tool, is_error: e.isError === true, duration_ms: e.durationMs });
        case "revision_requested":
          // Case's own verifier or reviewer asking for another cycle: a recommendation, not a decision of ours.
          return sink.event("engine.revision_requested", { source: e.source, cycle: e.cycle, failed_categories: e.failedCategories ?? [] });
        case "revision_budget_exhausted":
          return sink.event("engine.revision_budget_exhausted", { cycles: e.cycles ?? null });
        case "status_changed":
          return sink.event("engine.status_changed", { from: e.from, to: e.to });
        case "marker_written":
          return sink.event("engine.marker_written", { marker: e.marker, path: e.path });
        case "pipeline_end":
          finished = true;
          sink.event("engine.pipeline_finished", { outcome: e.outcome, failed_agent: e.failedAgent ?? null, duration_ms: e.durationMs });
          if (e.outcome === "failed") judgeFailure(typeof e.failedAgent === "string" ? e.failedAgent : undefined);
          return sink.finished({ outcome: e.outcome });
      }
    },
    end() {
      if (!broken && !finished) sink.missing("Case's event log has no pipeline_end", "incomplete");
    },
  };

  /**
   * `ca` exits 0 on a failed pipeline. The phase that failed tells why: an
   * agent that failed without running a single tool never got a usable answer
   * from its model (no provider: "AGENT_RESULT start delimiter not found") →
   * provider_unavailable; an agent that worked and then failed is the
   * pipeline's own verdict → engine_failed.
   */
  function judgeFailure(failedAgent: string | undefined): void {
    const failed = [...phases.entries()].filter(([, p]) => p.outcome === "failed");
    const [phase, p] = failed.find(([, x]) => x.agent === failedAgent) ?? failed[0] ?? [];
    const who = failedAgent ?? p?.agent ?? "an agent";
    const why = p?.error ? `: ${p.error.slice(0, 300)}` : "";
    if (p && p.tools === 0) sink.providerError(`Case's ${who} (${phase} phase) failed without running any tool — its model gave no usable answer${why}`);
    else sink.engineFailed(`Case's pipeline ended failed at ${who}${phase ? ` (${phase} phase)` : ""}${why}`);
  }
}

/** `path` of a tool's arguments, given as an object or as a JSON string (Case writes strings). */
function argPath(args: unknown): string | undefined {
  let a = args;
  if (typeof a === "string") {
    try {
      a = JSON.parse(a);
    } catch {
      return undefined;
    }
  }
  const p = (a as { path?: unknown } | null)?.path;
  return typeof p === "string" && p.length > 0 ? p : undefined;
}
