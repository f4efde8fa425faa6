// The real codex and pi CLIs pointed at our scripted model server (modelServer.ts): the user home
// their configuration is seeded from, and the environment a `cto` child needs to run them. One
// copy for the three places that drive them: the engines suite (compare-real.test.ts), `npm run
// demo:ladder` (scripts/demo-ladder.mjs bundles this file with esbuild, as it does the server), and
// the workbench walk (test/integration/ladder.test.ts).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The variable codex's provider and pi's models.json name for the (local, fake) API key. */
export const MODEL_KEY_VAR = "CTO_TEST_MODEL_KEY";

/**
 * Writes `home`/.codex/config.toml and `home`/.pi/agent/{models,settings}.json, both pointing at
 * 127.0.0.1:`port`, with retries off and short stream timeouts (a broken server is reported in
 * seconds, never waited out). Returns `home`.
 */
export function writeEngineHome(home: string, port: number): string {
  mkdirSync(join(home, ".codex"), { recursive: true });
  writeFileSync(
    join(home, ".codex", "config.toml"),
    ['model = "gpt-5.5"', 'model_provider = "local"', "", "[model_providers.local]", 'name = "local"', `base_url = "http://127.0.0.1:${port}/v1"`, 'wire_api = "responses"', `env_key = "${MODEL_KEY_VAR}"`, "request_max_retries = 0", "stream_max_retries = 0", "stream_idle_timeout_ms = 4000", "supports_websockets = false", ""].join("\n"),
  );
  const agent = join(home, ".pi", "agent");
  mkdirSync(agent, { recursive: true });
  writeFileSync(join(agent, "models.json"), JSON.stringify({ providers: { local: { baseUrl: `http://127.0.0.1:${port}/v1`, api: "openai-completions", apiKey: MODEL_KEY_VAR, models: [{ id: "local-model", contextWindow: 32000, maxTokens: 4096 }] } } }));
  writeFileSync(join(agent, "settings.json"), JSON.stringify({ defaultProvider: "local", defaultModel: "local-model", retry: { enabled: true, maxRetries: 1, baseDelayMs: 100, provider: { maxRetries: 0, timeoutMs: 4000 } } }));
  return home;
}

/**
 * The pinned real CLI the test runner installed (scripts/engines/install.mjs) and named in
 * CTO_ENGINE_CODEX_BIN / CTO_ENGINE_PI_BIN. Throws, saying so, when it is not there: a suite that
 * needs the real CLIs fails without them, it never passes or skips quietly.
 */
export function realEngineBin(engine: "codex" | "pi", env: NodeJS.ProcessEnv = process.env): string {
  const name = engine === "codex" ? "CTO_ENGINE_CODEX_BIN" : "CTO_ENGINE_PI_BIN";
  const v = env[name];
  if (!v || !existsSync(v)) {
    const why = env.CTO_ENGINES_INSTALL_ERROR ? `: installing the pinned CLIs failed: ${env.CTO_ENGINES_INSTALL_ERROR}` : ` (run through npm test / npm run test:engines / npm run test:integration, which install them)`;
    throw new Error(`the real ${engine} CLI is not installed: ${name}='${v ?? ""}'${why}`);
  }
  return v;
}

export interface EngineEnvOptions {
  /** The user home the engines' configuration is copied from (writeEngineHome). */
  home: string;
  codex: string;
  pi: string;
  /** CTO_CASE_COMMAND: the `ca` the harness runs for case. */
  caseCommand?: string;
  signingKey?: string;
  modelKey?: string;
  /** Added last (e.g. a replayer's variables). */
  extra?: Record<string, string>;
}

/**
 * Only what a `cto` child needs to run the four engines against the local server: never the
 * caller's API keys, CODEX_HOME or PI_CODING_AGENT_DIR. CTO_BWRAP passes through (empty pretends
 * bubblewrap is absent), as does the signing key the caller's evidence is trusted by.
 */
export function engineEnv(o: EngineEnvOptions, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    PATH: from.PATH ?? "/usr/bin:/bin",
    HOME: o.home,
    LANG: "C.UTF-8",
    TMPDIR: from.TMPDIR ?? tmpdir(),
    [MODEL_KEY_VAR]: o.modelKey ?? "sk-local-test",
    CTO_CODEX_COMMAND: o.codex,
    CTO_PI_COMMAND: o.pi,
    ...(o.caseCommand ? { CTO_CASE_COMMAND: o.caseCommand } : {}),
    ...(o.signingKey ? { CTO_SIGNING_KEY: o.signingKey } : {}),
    ...(from.CTO_BWRAP !== undefined ? { CTO_BWRAP: from.CTO_BWRAP } : {}),
    ...(o.extra ?? {}),
  };
}
