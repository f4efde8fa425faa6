// `codex`: OpenAI's Codex CLI in its machine-readable mode,
//   codex exec --json --sandbox workspace-write --skip-git-repo-check [args…] <prompt>
// run with cwd = the sandbox and CODEX_HOME = <per-run home>/.codex, seeded from
// the user's own CODEX_HOME (or ~/.codex): config.toml, auth.json, AGENTS.md,
// prompts/. Its JSONL (codex-rs/exec/src/exec_events.rs): thread.started,
// turn.started|completed|failed, item.started|updated|completed {item{id,type,…}},
// error, item.plan.delta, request_user_input.
//
// Classification reads the stream's structure, never its wording: `turn.failed`
// is the model turn failing (codex 0.171 emits it for HTTP errors, cut or
// malformed streams, exhausted retries) → provider_unavailable. A top-level
// `error` ("Reconnecting… n/5", "waiting for network") is trouble codex may still
// recover from: it names the reason if the watchdog has to stop a codex that
// waits for the network forever. Progress is codex being up (thread.started),
// an item or a completed turn — never an error.
// exec mode asks for no approvals; a `declined` command is the only decline
// signal and becomes the harness's approval.denied.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { looksLikeApproval, parseJsonLine, type EngineAdapter, type EngineSink, type Normalizer } from "./types";
import { ARGS_OPTION, COMMAND_OPTION, configuredCommand, extraArgs, NETWORK_OPTION } from "./cli";
import { configDir, namedEnvVars, NETWORK_ENV, passThrough, seedFolder, userHome } from "./home";

/** What of the user's CODEX_HOME is configuration (sessions, logs, sqlite state and history stay home). */
export const CODEX_SEED = ["config.toml", "auth.json", "AGENTS.md", "AGENTS.override.md", "instructions.md", "prompts"];

/** The user's codex home: $CODEX_HOME, else ~/.codex. */
export function codexUserHome(userEnv: NodeJS.ProcessEnv): string {
  return configDir(userEnv, "CODEX_HOME", join(userHome(userEnv), ".codex"));
}

/** `env_key = "NAME"` entries of a config.toml: the variables its providers read their key from. */
export function codexEnvKeys(configToml: string): string[] {
  return namedEnvVars([...configToml.matchAll(/^\s*env_key\s*=\s*["']([^"'\n]+)["']/gm)].map((m) => m[1]));
}

export const codexEngine: EngineAdapter = {
  id: "codex",
  gated: false,
  summary: "OpenAI Codex CLI (codex exec --json)",
  statePaths: [],
  options: {
    command: COMMAND_OPTION,
    args: ARGS_OPTION,
    sandbox: { type: "enum", values: ["read-only", "workspace-write", "danger-full-access"], description: "codex's own --sandbox mode inside the harness's isolation (default workspace-write)" },
    network: NETWORK_OPTION,
  },
  command: (task, env) => configuredCommand(task, env, "CTO_CODEX_COMMAND", ["codex"]),
  versionArgs: ["--version"],
  passEnv: ["OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL", ...NETWORK_ENV],
  watchProgress: true,
  start(ctx) {
    const norm = createCodexNormalizer(ctx.sink);
    const cmd = ctx.command;
    const sandboxMode = typeof ctx.options.sandbox === "string" ? ctx.options.sandbox : "workspace-write";
    // CODEX_HOME inside the per-run home, never inside TMPDIR (codex refuses to put its helpers there).
    const codexHome = join(ctx.home, ".codex");
    const seed = seedFolder(codexUserHome(ctx.userEnv), codexHome, CODEX_SEED);
    let keys: string[] = [];
    try {
      keys = codexEnvKeys(readFileSync(join(codexHome, "config.toml"), "utf8"));
    } catch {
      /* no config.toml: codex's defaults */
    }
    return {
      launch: {
        argv: [...cmd, "exec", "--json", "--sandbox", sandboxMode, "--skip-git-repo-check", ...extraArgs(ctx.options.args), ctx.task.prompt],
        env: { ...ctx.env, ...passThrough(ctx.userEnv, keys), CODEX_HOME: codexHome },
        stdin: "ignore",
        // The model provider is across the network; the tests still run without it.
        network: ctx.options.network !== false,
      },
      home: [{ variable: "CODEX_HOME", ...seed, credentials_from_env: keys }],
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
          // codex is up: the no-progress clock starts over here.
          sink.progress();
          return sink.event("engine.session", { thread_id: ev.thread_id });
        case "turn.started":
          return sink.event("engine.turn_started", {});
        case "turn.completed":
          finished = true;
          sink.progress();
          sink.event("engine.turn_completed", { usage: ev.usage ?? null });
          return sink.finished({ outcome: "completed" });
        case "turn.failed": {
          // The model turn itself failed: the provider did not deliver a response.
          finished = true;
          const message = String((ev.error as { message?: unknown } | undefined)?.message ?? "turn failed");
          sink.event("engine.error", { message, fatal: true });
          sink.providerError(`codex turn.failed: ${message}`);
          return sink.finished({ outcome: "failed", message });
        }
        case "error": {
          // Stream errors codex reports while it retries or reconnects: trouble, not yet a verdict.
          const message = String(ev.message ?? "error");
          sink.event("engine.error", { message, fatal: false });
          return sink.providerTrouble(message);
        }
        case "item.started":
        case "item.updated":
        case "item.completed":
          return item(type.slice(5), ev.item as Record<string, unknown> | undefined);
        case "item.plan.delta":
          sink.progress();
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
    if (it.type !== "error") sink.progress();
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
        // A non-fatal notice codex keeps going after (e.g. "Model metadata … not found").
        sink.event("engine.warning", { id, message: it.message });
        return;
      default:
        sink.event("engine.unknown", { raw_type: `item ${it.type}`, line: lineNo });
    }
  }
}
