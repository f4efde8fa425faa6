// `codex`: OpenAI's Codex CLI in its machine-readable mode,
//   codex exec --json --sandbox workspace-write --skip-git-repo-check <prompt>
// run with cwd = the sandbox. Its JSONL (codex-rs/exec/src/exec_events.rs):
// thread.started, turn.started|completed|failed, item.started|updated|completed
// {item{id,type,...}}, error, plus newer item.plan.delta / request_user_input.
// exec mode asks for no approvals; a `declined` command is the only decline
// signal and becomes the harness's approval.denied.
import { looksLikeApproval, looksLikeProviderError, parseJsonLine, type EngineAdapter, type EngineSink, type Normalizer } from "./types";
import { COMMAND_OPTION, configuredCommand, NETWORK_OPTION } from "./cli";

export const codexEngine: EngineAdapter = {
  id: "codex",
  gated: false,
  summary: "OpenAI Codex CLI (codex exec --json)",
  statePaths: [],
  options: {
    command: COMMAND_OPTION,
    sandbox: { type: "enum", values: ["read-only", "workspace-write", "danger-full-access"], description: "codex's own --sandbox mode inside the harness's isolation (default workspace-write)" },
    network: NETWORK_OPTION,
  },
  command: (task, env) => configuredCommand(task, env, "CTO_CODEX_COMMAND", ["codex"]),
  versionArgs: ["--version"],
  start(ctx) {
    const norm = createCodexNormalizer(ctx.sink);
    const cmd = ctx.command;
    const sandboxMode = typeof ctx.options.sandbox === "string" ? ctx.options.sandbox : "workspace-write";
    return {
      launch: {
        argv: [...cmd, "exec", "--json", "--sandbox", sandboxMode, "--skip-git-repo-check", ctx.task.prompt],
        env: { ...ctx.env },
        stdin: "ignore",
        // The model provider is across the network; the tests still run without it.
        network: ctx.options.network !== false,
      },
      stdoutLine: (line) => norm.line(line),
      async finish() {
        norm.end();
      },
    };
  },
};

export function createCodexNormalizer(sink: EngineSink): Normalizer {
  let finished = false;
  let lineNo = 0;
  return {
    line(text) {
      lineNo++;
      if (!text.trim()) return;
      const ev = parseJsonLine(text);
      if (!ev || typeof ev.type !== "string") return sink.missing(`codex stream line ${lineNo} is not a JSON event`, "unreadable");
      const type = ev.type;
      if (looksLikeApproval(type)) return sink.selfApproval(type, { line: lineNo });
      switch (type) {
        case "thread.started":
          return sink.event("engine.session", { thread_id: ev.thread_id });
        case "turn.started":
          return sink.event("engine.turn_started", {});
        case "turn.completed":
          finished = true;
          sink.event("engine.turn_completed", { usage: ev.usage ?? null });
          return sink.finished({ outcome: "completed" });
        case "turn.failed": {
          finished = true;
          const message = String((ev.error as { message?: unknown } | undefined)?.message ?? "turn failed");
          sink.event("engine.error", { message, fatal: true });
          if (looksLikeProviderError(message)) sink.providerError(message);
          return sink.finished({ outcome: "failed", message });
        }
        case "error": {
          const message = String(ev.message ?? "error");
          sink.event("engine.error", { message, fatal: true });
          if (looksLikeProviderError(message)) sink.providerError(message);
          return;
        }
        case "item.started":
        case "item.updated":
        case "item.completed":
          return item(type.slice(5), ev.item as Record<string, unknown> | undefined);
        case "item.plan.delta":
          return sink.event("engine.plan_delta", { item_id: ev.item_id });
        case "request_user_input":
          // exec cannot answer it; recorded, not a decision.
          return sink.event("engine.input_requested", { call_id: ev.call_id });
        default:
          return sink.event("engine.unknown", { raw_type: type, line: lineNo });
      }
    },
    end() {
      if (!finished) sink.missing("codex ended without turn.completed or turn.failed", "incomplete");
    },
  };

  function item(phase: string, it: Record<string, unknown> | undefined) {
    if (!it || typeof it.type !== "string") return sink.missing(`codex item event without an item (line ${lineNo})`, "unreadable");
    const id = it.id;
    if (looksLikeApproval(it.type)) return sink.selfApproval(`item ${it.type}`, { id });
    switch (it.type) {
      case "agent_message":
        if (phase === "completed") sink.event("engine.message", { id, text: it.text });
        return;
      case "reasoning":
        if (phase === "completed") sink.event("engine.reasoning", { id, text: it.text });
        return;
      case "plan":
        if (phase === "completed") sink.event("engine.plan", { id, text: it.text });
        return;
      case "command_execution": {
        const status = it.status;
        if (phase === "started") return sink.event("engine.command_started", { id, command: it.command });
        if (status === "declined") return sink.declined(String(it.command ?? ""), { id, via: "codex sandbox policy" });
        if (phase === "completed") return sink.event("engine.command_finished", { id, command: it.command, exit_code: it.exit_code ?? null, status });
        return;
      }
      case "file_change": {
        if (phase !== "completed") return;
        const changes = Array.isArray(it.changes) ? (it.changes as { path?: unknown; kind?: unknown }[]) : [];
        for (const c of changes) {
          sink.event("file.changed", { path: c.path, action: c.kind, status: it.status, reported_by: "engine" });
          if (typeof c.path === "string") sink.fileTouched(c.path, String(c.kind));
        }
        return;
      }
      case "mcp_tool_call":
        if (phase === "completed") sink.event("engine.tool", { id, server: it.server, tool: it.tool, status: it.status, error: (it.error as { message?: unknown } | null)?.message ?? null });
        return;
      case "collab_tool_call":
        if (phase === "completed") sink.event("engine.tool", { id, tool: it.tool, status: it.status });
        return;
      case "web_search":
        if (phase === "completed") sink.event("engine.web_search", { id, query: it.query });
        return;
      case "todo_list":
        if (phase !== "started") sink.event("engine.todo", { id, items: it.items });
        return;
      case "error":
        // Non-fatal by definition (codex retries); only fatal errors can mean provider_unavailable.
        sink.event("engine.warning", { id, message: it.message });
        return;
      default:
        sink.event("engine.unknown", { raw_type: `item ${it.type}`, line: lineNo });
    }
  }
}
