// `fake`: a deterministic engine scripted by the task's scenario. What every
// fixture uses. It runs `fakeEngineMain` as a real child (`node -e`), so the
// harness exercises the same spawn/isolation/timeout path as for real engines.
// The scenario travels as a file in the run's inputs folder (readable, not
// writable, under isolation), never in the environment or argv: those are
// capped by the OS (E2BIG), a file only by the task file's own size limit.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { HARNESS_VERSION } from "../version";
import { fakeEngineMain } from "./fakeMain";
import { looksLikeApproval, parseJsonLine, RESERVED_TYPES, type EngineAdapter, type EngineSink, type Normalizer } from "./types";

/** The node binary to run the fake with; inside VS Code (Electron) ELECTRON_RUN_AS_NODE makes it plain Node. */
function nodeBinary(): { bin: string; env: NodeJS.ProcessEnv } {
  const isElectron = !!process.versions.electron;
  return { bin: process.execPath, env: isElectron ? { ELECTRON_RUN_AS_NODE: "1" } : {} };
}

/** The scenario's file name in the run's inputs folder. */
export const FAKE_SCENARIO_FILE = "fake.scenario.json";

export const FAKE_SOURCE = `(${fakeEngineMain.toString()})()`;

export const fakeEngine: EngineAdapter = {
  id: "fake",
  gated: false,
  summary: "deterministic engine scripted by the task's scenario (fixtures and tests)",
  statePaths: [],
  options: {
    network: { type: "boolean", description: "true: the fake gets the network under isolation (default false; it never needs it)" },
  },
  command: () => [nodeBinary().bin, "-e", "<fake engine>"],
  versionArgs: null,
  fixedVersion: HARNESS_VERSION,
  start(ctx) {
    const node = nodeBinary();
    const norm = createFakeNormalizer(ctx.sink);
    const scenarioFile = join(ctx.inputs, FAKE_SCENARIO_FILE);
    writeFileSync(scenarioFile, JSON.stringify(ctx.task.scenario));
    const pending: Promise<void>[] = [];
    return {
      launch: {
        argv: [node.bin, "-e", FAKE_SOURCE],
        env: { ...ctx.env, LANG: "C", ...node.env, CTO_FAKE_SCENARIO_FILE: scenarioFile },
        stdin: ctx.task.scenario.some((s) => "approval" in s) ? "pipe" : "ignore",
        network: ctx.options.network === true,
        readOnly: [ctx.inputs],
      },
      stdoutLine(line, reply) {
        const m = parseJsonLine(line);
        if (m?.kind === "approval_request" && typeof m.id === "string") {
          const id = m.id;
          pending.push(
            ctx.requestApproval(String(m.action ?? ""), { request_id: id }).then((decision) => reply(JSON.stringify({ id, decision }) + "\n")),
          );
          return;
        }
        norm.line(line);
      },
      async finish() {
        await Promise.all(pending);
        norm.end();
      },
    };
  },
};

/** Reads the fake's stdout protocol (see fakeMain.ts). */
export function createFakeNormalizer(sink: EngineSink): Normalizer {
  let finished = false;
  return {
    line(text) {
      if (!text.trim()) return;
      const m = parseJsonLine(text);
      if (!m) return sink.missing(`unreadable line in the fake engine's stream: ${text.slice(0, 80)}`, "unreadable");
      switch (m.kind) {
        case "event": {
          const type = String(m.type ?? "");
          const data = (m.data && typeof m.data === "object" ? m.data : {}) as Record<string, unknown>;
          if (looksLikeApproval(type)) return sink.selfApproval(type, data);
          // Engine-chosen types may not impersonate the harness, and must fit cto.event/v1's type pattern.
          if (!type || RESERVED_TYPES.has(type) || !/^(engine|file)(\.[a-z][a-z0-9_]*)+$/.test(type)) return sink.event("engine.emitted", { type, data });
          return sink.event(type, data);
        }
        case "file":
          sink.event("file.changed", { path: m.path, action: m.action, ok: m.ok, ...(m.error ? { error: m.error } : {}), reported_by: "engine" });
          if (typeof m.path === "string") sink.fileTouched(m.path, String(m.action), m.ok === true);
          return;
        case "finish":
          finished = true;
          return sink.finished({ exit: m.exit });
        default:
          return sink.missing(`unknown message kind '${String(m.kind)}' in the fake engine's stream`, "unreadable");
      }
    },
    end() {
      if (!finished) sink.missing("the engine ended without its finish event", "incomplete");
    },
  };
}
