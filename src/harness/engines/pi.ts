// `pi`: the pi coding agent (badlogic/pi-mono, packages/coding-agent) in JSON
// mode, `pi --mode json [args…] -p <prompt>`, with PI_CODING_AGENT_DIR =
// <per-run home>/.pi/agent seeded from the user's PI_CODING_AGENT_DIR (or
// ~/.pi/agent): models.json, settings.json, auth.json, prompts, skills, themes,
// extensions; its sessions/ folder is written there (pi crashes at start without
// a writable one). PI_OFFLINE=1 stops its startup update checks.
// Stream (docs/json.md): a session header {"type":"session","version":3,…}, then
// agent_start, agent_end, turn_start, turn_end, message_start|update|end,
// tool_execution_start|update|end, auto_compaction_*, auto_retry_*.
//
// Classification reads structure, never wording. pi 0.73.1 exits 0 even when
// every retry failed; what failed is in the stream:
// - an assistant message_end with stopReason "error" is provider trouble;
//   if no retry follows and nothing succeeds after it, the provider failed;
// - auto_retry_end {success: false} is the provider failing for good;
// - exiting nonzero after the session header but before agent_start is pi
//   refusing to start a turn: no model, no API key, an auth failure (the
//   reason is only on stderr) → provider_unavailable;
// - no session header and a nonzero exit is a crash at start → engine_failed (runner).
// Progress: the session header (pi is up), streamed assistant output, a successful
// assistant message, a tool run — never a retry or an error.
import { join } from "node:path";
import { looksLikeApproval, parseJsonLine, type EngineAdapter, type EngineSink, type Normalizer } from "./types";
import { ARGS_OPTION, COMMAND_OPTION, configuredCommand, extraArgs, NETWORK_OPTION } from "./cli";
import { configDir, namedEnvVars, NETWORK_ENV, passThrough, seedFolder, userHome } from "./home";
import { readFileSync } from "node:fs";

export const PI_SEED = ["models.json", "settings.json", "auth.json", "AGENTS.md", "SYSTEM.md", "APPEND_SYSTEM.md", "keybindings.json", "prompts", "skills", "themes", "extensions"];

/** API-key variables of pi's built-in providers (pi reads them from the environment). */
export const PI_PROVIDER_ENV = [
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_OAUTH_TOKEN",
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "GROQ_API_KEY",
  "CEREBRAS_API_KEY",
  "XAI_API_KEY",
  "OPENROUTER_API_KEY",
  "MISTRAL_API_KEY",
  "DEEPSEEK_API_KEY",
  "ZAI_API_KEY",
  "AZURE_OPENAI_API_KEY",
  "AWS_PROFILE",
  "AWS_REGION",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
];

/** The user's pi agent folder: $PI_CODING_AGENT_DIR, else ~/.pi/agent. */
export function piUserAgentDir(userEnv: NodeJS.ProcessEnv): string {
  return configDir(userEnv, "PI_CODING_AGENT_DIR", join(userHome(userEnv), ".pi", "agent"));
}

/** models.json `apiKey` values that name an environment variable (pi's convention: a set variable of that name wins). */
export function piEnvKeys(modelsJson: string): string[] {
  try {
    const providers = (JSON.parse(modelsJson) as { providers?: Record<string, { apiKey?: unknown }> }).providers ?? {};
    return namedEnvVars(Object.values(providers).map((p) => p?.apiKey));
  } catch {
    return [];
  }
}

/** Seeds `<home>/.pi/agent` from the user's pi config; returns the folder, the record and the launch env additions. */
export function seedPiAgentDir(home: string, userEnv: NodeJS.ProcessEnv): { dir: string; record: { variable: string } & ReturnType<typeof seedFolder> & { credentials_from_env: string[] }; env: Record<string, string> } {
  const dir = join(home, ".pi", "agent");
  const seed = seedFolder(piUserAgentDir(userEnv), dir, PI_SEED);
  let keys: string[] = [];
  try {
    keys = piEnvKeys(readFileSync(join(dir, "models.json"), "utf8"));
  } catch {
    /* no models.json: built-in providers only */
  }
  return {
    dir,
    record: { variable: "PI_CODING_AGENT_DIR", ...seed, credentials_from_env: keys },
    env: { ...passThrough(userEnv, keys), PI_CODING_AGENT_DIR: dir, PI_OFFLINE: "1" },
  };
}

export const piEngine: EngineAdapter = {
  id: "pi",
  gated: false,
  summary: "pi coding agent (pi --mode json)",
  statePaths: [],
  options: {
    command: COMMAND_OPTION,
    args: ARGS_OPTION,
    network: NETWORK_OPTION,
  },
  command: (task, env) => configuredCommand(task, env, "CTO_PI_COMMAND", ["pi"]),
  versionArgs: ["--version"],
  passEnv: [...PI_PROVIDER_ENV, ...NETWORK_ENV],
  watchProgress: true,
  start(ctx) {
    const norm = createPiNormalizer(ctx.sink);
    const agent = seedPiAgentDir(ctx.home, ctx.userEnv);
    return {
      launch: {
        argv: [...ctx.command, "--mode", "json", ...extraArgs(ctx.options.args), "-p", ctx.task.prompt],
        env: { ...ctx.env, ...agent.env },
        stdin: "ignore",
        network: ctx.options.network !== false,
      },
      home: [agent.record],
      stdoutLine: (line) => norm.line(line),
      async finish(result) {
        const stderr = result.stderr?.data?.toString("utf8") ?? "";
        norm.end({ exitCode: result.exitCode, stderr, killed: result.timedOut || result.cancelled || !!result.killedFor });
      },
    };
  },
};

/** Tools whose `path` argument is a file the agent writes. */
const WRITING_TOOLS = new Set(["write", "edit"]);

export interface PiExit {
  exitCode: number | null;
  stderr: string;
  killed: boolean;
}

export interface PiNormalizer extends Normalizer {
  /** End of stream, with how pi exited (where it stopped decides "could not start a turn"). */
  end(exit?: PiExit): void;
}

export function createPiNormalizer(sink: EngineSink): PiNormalizer {
  let lineNo = 0;
  let header = false;
  let agentStarted = false;
  let finished = false;
  /** The error of the last assistant message when it ended in error and nothing has succeeded since. */
  let pendingError: string | null = null;
  let retrying = false;
  let decided = false;
  const fail = (message: string) => {
    if (decided) return;
    decided = true;
    sink.providerError(message);
  };
  const textOf = (msg: unknown): string =>
    Array.isArray((msg as { content?: unknown })?.content)
      ? (msg as { content: { type?: string; text?: string }[] }).content
          .filter((c) => c.type === "text")
          .map((c) => c.text ?? "")
          .join("")
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
        // pi is up (its start-up alone takes seconds): the no-progress clock starts over here.
        sink.progress();
        return sink.event("engine.session", { id: ev.id, version: ev.version, cwd: ev.cwd });
      }
      if (looksLikeApproval(type)) return sink.selfApproval(type, { line: lineNo });
      switch (type) {
        case "agent_start":
          agentStarted = true;
          return sink.event("engine.agent_started", {});
        case "agent_end":
          // One per attempt: a retry starts a new agent_start … agent_end.
          finished = true;
          return sink.finished({ messages: Array.isArray(ev.messages) ? ev.messages.length : null });
        case "turn_start":
          return sink.event("engine.turn_started", {});
        case "turn_end":
          return sink.event("engine.turn_completed", { tool_results: Array.isArray(ev.toolResults) ? ev.toolResults.length : 0 });
        case "message_start":
          return;
        case "message_update":
          // Streamed output from the model: the raw log keeps the deltas; here it is progress.
          if ((ev.assistantMessageEvent as { type?: unknown } | undefined)?.type !== "error") sink.progress();
          return;
        case "message_end": {
          const m = (ev.message ?? {}) as { role?: string; stopReason?: string; errorMessage?: string };
          if (m.role !== "assistant") return; // user and toolResult messages are echoes, not output
          sink.event("engine.message", { text: textOf(m), stop_reason: m.stopReason ?? null });
          if (m.stopReason === "error") {
            const message = m.errorMessage ?? "assistant message ended with an error";
            sink.event("engine.error", { message, fatal: false });
            pendingError = message;
            sink.providerTrouble(message);
          } else {
            pendingError = null;
            sink.progress();
          }
          return;
        }
        case "tool_execution_start": {
          sink.progress();
          const args = (ev.args ?? {}) as Record<string, unknown>;
          sink.event("engine.tool_started", { tool_call_id: ev.toolCallId, tool: ev.toolName, args });
          if (WRITING_TOOLS.has(String(ev.toolName)) && typeof args.path === "string") {
            sink.event("file.changed", { path: args.path, action: String(ev.toolName), reported_by: "engine" });
            sink.fileTouched(args.path, String(ev.toolName));
          }
          return;
        }
        case "tool_execution_update":
          return sink.progress();
        case "tool_execution_end":
          sink.progress();
          return sink.event("engine.tool_finished", { tool_call_id: ev.toolCallId, tool: ev.toolName, is_error: ev.isError === true });
        case "auto_compaction_start":
        case "auto_compaction_end":
        case "compaction_start":
        case "compaction_end":
          return sink.event("engine.compaction", { phase: type.endsWith("start") ? "start" : "end", reason: ev.reason ?? null });
        case "auto_retry_start":
          retrying = true;
          if (typeof ev.errorMessage === "string") sink.providerTrouble(ev.errorMessage);
          return sink.event("engine.retry", { attempt: ev.attempt, max_attempts: ev.maxAttempts ?? null, error: ev.errorMessage ?? null });
        case "auto_retry_end":
          retrying = false;
          sink.event("engine.retry", { attempt: ev.attempt, success: ev.success, error: ev.finalError ?? null });
          if (ev.success === false) fail(`pi gave up after ${String(ev.attempt ?? "?")} attempt(s): ${String(ev.finalError ?? pendingError ?? "provider error")}`);
          else if (ev.success === true) pendingError = null;
          return;
        case "queue_update":
          return;
        default:
          return sink.event("engine.unknown", { raw_type: type, line: lineNo });
      }
    },
    end(exit) {
      const killed = exit?.killed === true;
      if (!header) {
        sink.missing("pi produced no session header", "incomplete");
        return;
      }
      if (!agentStarted && exit && exit.exitCode !== 0 && exit.exitCode !== null && !killed) {
        // pi stops between its session header and the first turn only when it cannot set up a model.
        const why = firstLine(exit.stderr) ?? `pi exited ${exit.exitCode} before starting a turn`;
        fail(`pi could not start a turn (exit ${exit.exitCode}): ${why}`);
        return;
      }
      if (pendingError !== null && !retrying && !killed) fail(`pi's last model call failed: ${pendingError}`);
      if (!finished && !decided) sink.missing("pi ended without agent_end", "incomplete");
    },
  };
}

function firstLine(text: string): string | undefined {
  const l = text
    .split("\n")
    .map((s) => s.trim())
    .find((s) => s.length > 0 && !/^Warning:/.test(s));
  return l ? l.slice(0, 300) : undefined;
}
