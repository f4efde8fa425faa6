// The engine registry: every adapter the harness knows, with `case` marked
// gated. The VS Code layer lists engines from here (quick picks, settings).
import { caseEngine } from "./case";
import { codexEngine } from "./codex";
import { fakeEngine } from "./fake";
import { piEngine } from "./pi";
import type { EngineAdapter } from "./types";

const ENGINES: readonly EngineAdapter[] = [fakeEngine, codexEngine, piEngine, caseEngine];

export function getEngine(id: string): EngineAdapter | undefined {
  return ENGINES.find((e) => e.id === id);
}

export function listEngines(): { id: string; gated: boolean; summary: string }[] {
  return ENGINES.map((e) => ({ id: e.id, gated: e.gated, summary: e.summary }));
}

export const ENGINE_IDS = ENGINES.map((e) => e.id);
