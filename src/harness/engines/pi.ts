// `pi`: the pi coding agent (badlogic/pi-mono, packages/coding-agent) in JSON
// mode, `pi --mode json -p <prompt>`. Stream (docs/json.md): a session header
// {"type":"session","version":3,id,timestamp,cwd}, then AgentSessionEvents:
// agent_start, agent_end{messages}, turn_start, turn_end{message,toolResults},
// message_start|update|end, tool_execution_start|update|end,
// auto_compaction_*, auto_retry_*. Pi has no approvals by design.
import { looksLikeApproval, looksLikeProviderError, parseJsonLine, type EngineAdapter, type EngineSink, type Normalizer } from "./types";
import { COMMAND_OPTION, configuredCommand, NETWORK_OPTION } from "./cli";

export const piEngine: EngineAdapter = {
  id: "pi",
  gated: false,
  summary: "pi coding agent (pi --mode json)",
  statePaths: [],
  options: {
    command: COMMAND_OPTION,
    network: NETWORK_OPTION,
  },
  command: (task, env) => configuredCommand(task, env, "CTO_PI_COMMAND", ["pi"]),
  versionArgs: ["--version"],
  start(ctx) {
    const norm = createPiNormalizer(ctx.sink);
    return {
      launch: {
        argv: [...ctx.command, "--mode", "json", "-p", ctx.task.prompt],
        env: { ...ctx.env },
        stdin: "ignore",
        network: ctx.options.network !== false,
      },
      stdoutLine: (line) => norm.line(line),
      async finish() {
        norm.end();
      },
    };
  },
};

/** Tools whose `path` argument is a file the agent writes. */
const WRITING_TOOLS = new Set(["write", "edit"]);

export function createPiNormalizer(sink: EngineSink): Normalizer {
  let lineNo = 0;
  let header = false;
  let finished = false;
  const textOf = (msg: unknown): string =>
    Array.isArray((msg as { content?: unknown })?.content)
      ? ((msg as { content: { type?: string; text?: string }[] }).content.filter((c) => c.type === "text").map((c) => c.text ?? "").join(""))
      : typeof (msg as { content?: unknown })?.content === "string"
        ? String((msg as { content: string }).content)
        : "";
  return {
    line(text) {
      lineNo++;
      if (!text.trim()) return;
      const ev = parseJsonLine(text);
      if (!ev || typeof ev.type !== "string") return sink.missing(`pi stream line ${lineNo} is not a JSON event`, "unreadable");
      const type = ev.type;
      if (!header) {
        if (type !== "session") return sink.missing(`pi stream does not start with its session header (line ${lineNo}: '${type}')`, "unreadable");
        header = true;
        return sink.event("engine.session", { id: ev.id, version: ev.version, cwd: ev.cwd });
      }
      if (looksLikeApproval(type)) return sink.selfApproval(type, { line: lineNo });
      switch (type) {
        case "agent_start":
          return sink.event("engine.agent_started", {});
        case "agent_end":
          finished = true;
          return sink.finished({ messages: Array.isArray(ev.messages) ? ev.messages.length : null });
        case "turn_start":
          return sink.event("engine.turn_started", {});
        case "turn_end":
          return sink.event("engine.turn_completed", { tool_results: Array.isArray(ev.toolResults) ? ev.toolResults.length : 0 });
        case "message_start":
        case "message_update":
          return; // streaming deltas: the raw log keeps them; message_end carries the result
        case "message_end": {
          const m = (ev.message ?? {}) as { role?: string; stopReason?: string; errorMessage?: string };
          if (m.role !== "assistant") return;
          sink.event("engine.message", { text: textOf(m), stop_reason: m.stopReason ?? null });
          if (m.stopReason === "error") {
            const message = m.errorMessage ?? "assistant message ended with an error";
            sink.event("engine.error", { message, fatal: true });
            if (looksLikeProviderError(message)) sink.providerError(message);
          }
          return;
        }
        case "tool_execution_start": {
          const args = (ev.args ?? {}) as Record<string, unknown>;
          sink.event("engine.tool_started", { tool_call_id: ev.toolCallId, tool: ev.toolName, args });
          if (WRITING_TOOLS.has(String(ev.toolName)) && typeof args.path === "string") {
            sink.event("file.changed", { path: args.path, action: String(ev.toolName), reported_by: "engine" });
            sink.fileTouched(args.path, String(ev.toolName));
          }
          return;
        }
        case "tool_execution_update":
          return;
        case "tool_execution_end":
          return sink.event("engine.tool_finished", { tool_call_id: ev.toolCallId, tool: ev.toolName, is_error: ev.isError === true });
        case "auto_compaction_start":
        case "auto_compaction_end":
        case "compaction_start":
        case "compaction_end":
          return sink.event("engine.compaction", { phase: type.endsWith("start") ? "start" : "end", reason: ev.reason ?? null });
        case "auto_retry_start":
          return sink.event("engine.retry", { attempt: ev.attempt, error: ev.errorMessage });
        case "auto_retry_end":
          if (ev.success === false && looksLikeProviderError(ev.finalError)) sink.providerError(String(ev.finalError));
          return sink.event("engine.retry", { attempt: ev.attempt, success: ev.success, error: ev.finalError ?? null });
        case "queue_update":
          return;
        default:
          return sink.event("engine.unknown", { raw_type: type, line: lineNo });
      }
    },
    end() {
      if (!header) sink.missing("pi produced no session header", "incomplete");
      else if (!finished) sink.missing("pi ended without agent_end", "incomplete");
    },
  };
}
