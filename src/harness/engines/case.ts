// `case`: the `ca` CLI of workos/case, a gated candidate engine. Runs
//   ca run --task <task.json> --mode unattended
// (command configurable: engine_options.command, or CTO_CASE_COMMAND) and reads
// Case's append-only event log, <work tree>/.case/<task-slug>/events/run-<runId>.jsonl
// (src/events/schema.ts: every line {ts, sequence, runId, event, ...}). Its
// maintainers call the format transitional, so the reader fails closed: any
// line it cannot read, an unknown event, a sequence gap, or no log at all is
// `missing_event` — never a guess. Case has no approvals; anything in its
// stream that looks like one is a self-approval.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { looksLikeApproval, parseJsonLine, type EngineAdapter, type EngineSink, type Normalizer } from "./types";
import { COMMAND_OPTION, configuredCommand, NETWORK_OPTION } from "./cli";

export const CASE_STATE_DIR = ".case";

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
  start(ctx) {
    const slug = ctx.task.id;
    const taskJson = join(ctx.inputs, `${slug}.task.json`);
    // Case's task companion (tasks/task.schema.json) plus the markdown it pairs with.
    writeFileSync(taskJson, JSON.stringify({ id: slug, status: "active", created: new Date().toISOString(), repo: slug, issueType: "freeform" }, null, 2) + "\n");
    writeFileSync(join(ctx.inputs, `${slug}.md`), `# ${slug}\n\n${ctx.task.prompt}\n`);
    const eventsDir = join(ctx.workTree, CASE_STATE_DIR, slug, "events");
    const before = new Set(listLogs(eventsDir));
    return {
      launch: {
        argv: [...ctx.command, "run", "--task", taskJson, "--mode", "unattended"],
        env: { ...ctx.env },
        stdin: "ignore",
        network: ctx.options.network !== false, // its agents are pi sessions talking to a model provider
        readOnly: [ctx.inputs],
      },
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
      },
    };
  },
};

function listLogs(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => /^run-.+\.jsonl$/.test(f)).sort();
  } catch {
    return [];
  }
}

type Check = (e: Record<string, unknown>) => string | undefined;
const str = (k: string): Check => (e) => (typeof e[k] === "string" ? undefined : `'${k}' is not a string`);
const num = (k: string): Check => (e) => (typeof e[k] === "number" ? undefined : `'${k}' is not a number`);
const oneOf = (k: string, vals: string[]): Check => (e) => (vals.includes(e[k] as string) ? undefined : `'${k}' is not one of ${vals.join("|")}`);

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

/** Fields whose values could carry an approval decision. */
const DECISION_FIELDS = ["to", "marker", "outcome", "status", "decision", "tool", "result"];

export function createCaseNormalizer(sink: EngineSink, expectedRunId?: string): Normalizer {
  let lineNo = 0;
  let lastSeq = 0;
  let runId: string | undefined;
  let finished = false;
  let broken = false;
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
      if (looksLikeApproval(name) || DECISION_FIELDS.some((k) => looksLikeApproval(e[k]))) {
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
          return sink.event("engine.phase_started", { phase: e.phase, agent: e.agent });
        case "phase_end":
          return sink.event("engine.phase_finished", { phase: e.phase, agent: e.agent, outcome: e.outcome, duration_ms: e.durationMs });
        case "tool_start":
          return sink.event("engine.tool_started", { tool_call_id: e.toolCallId, tool: e.tool, phase: e.phase ?? null, agent: e.agent ?? null });
        case "tool_end":
          return sink.event("engine.tool_finished", { tool_call_id: e.toolCallId, tool: e.tool, is_error: e.isError === true, duration_ms: e.durationMs });
        case "revision_requested":
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
          return sink.finished({ outcome: e.outcome });
      }
    },
    end() {
      if (!broken && !finished) sink.missing("Case's event log has no pipeline_end", "incomplete");
    },
  };
}
