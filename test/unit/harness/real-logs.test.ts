// The codex, pi and case normalizers on output the real CLIs printed
// (fixtures/engines/<engine>/real/, see their READMEs): classification comes from
// the stream's structure (turn.failed, stopReason, auto_retry_end, pipeline_end,
// where pi stopped), never from the wording of a message.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createCodexNormalizer } from "../../../src/harness/engines/codex";
import { createPiNormalizer } from "../../../src/harness/engines/pi";
import { createCaseNormalizer } from "../../../src/harness/engines/case";
import { versionFrom } from "../../../src/harness/engines/cli";
import type { EngineSink } from "../../../src/harness/engines/types";
import { ENGINE_FIXTURES } from "./helpers";

export interface Recorded {
  events: { type: string; data: Record<string, unknown> }[];
  touched: string[];
  self: string[];
  missing: { reason: string; kind: string }[];
  provider: string[];
  trouble: string[];
  failed: string[];
  declined: string[];
  progress: number;
  finished: boolean;
}

export function recordingSink(): { sink: EngineSink; r: Recorded } {
  const r: Recorded = { events: [], touched: [], self: [], missing: [], provider: [], trouble: [], failed: [], declined: [], progress: 0, finished: false };
  const sink: EngineSink = {
    event: (type, data = {}) => r.events.push({ type, data }),
    fileTouched: (p) => r.touched.push(p),
    selfApproval: (w) => r.self.push(w),
    missing: (reason, kind) => r.missing.push({ reason, kind }),
    providerError: (m) => r.provider.push(m),
    providerTrouble: (m) => r.trouble.push(m),
    engineFailed: (m) => r.failed.push(m),
    declined: (a) => r.declined.push(a),
    finished: () => (r.finished = true),
    progress: () => r.progress++,
  };
  return { sink, r };
}

const real = (engine: string, file: string) => readFileSync(join(ENGINE_FIXTURES, engine, "real", file), "utf8");

function codex(name: string): Recorded {
  const { sink, r } = recordingSink();
  const n = createCodexNormalizer(sink);
  for (const line of real("codex", `${name}.stdout.jsonl`).split("\n")) n.line(line);
  n.end();
  return r;
}

function pi(name: string, exitCode: number): Recorded {
  const { sink, r } = recordingSink();
  const n = createPiNormalizer(sink);
  for (const line of real("pi", `${name}.stdout.jsonl`).split("\n")) n.line(line);
  n.end({ exitCode, stderr: real("pi", `${name}.stderr.txt`), killed: false });
  return r;
}

function caseLog(name: string): Recorded {
  const { sink, r } = recordingSink();
  const text = real("case", `${name}.events.jsonl`);
  const runId = JSON.parse(text.split("\n")[0]!).runId as string;
  const n = createCaseNormalizer(sink, runId);
  for (const line of text.split("\n")) n.line(line);
  n.end();
  return r;
}

describe("harness: normalizers on real engine output", () => {
  describe("codex 0.171.0", () => {
    it("a passing apply_patch run: absolute file_change path, progress, finish, no verdict", () => {
      const r = codex("pass-apply-patch");
      assert.equal(r.finished, true);
      assert.deepEqual(r.touched, ["/root/eng-sb/src/sub.js"]);
      assert.ok(r.progress >= 2);
      assert.deepEqual([r.provider, r.failed, r.self, r.missing], [[], [], [], []]);
    });
    it("a passing exec_command run: its non-fatal error item is a warning, not provider trouble", () => {
      const r = codex("pass-exec-command");
      assert.equal(r.finished, true);
      assert.deepEqual([r.provider, r.trouble], [[], []]);
      assert.ok(r.events.some((e) => e.type === "engine.warning"));
    });
    for (const name of ["http500", "http401", "malformed", "cut"]) {
      it(`${name}: turn.failed decides provider_unavailable, whatever its message says`, () => {
        const r = codex(name);
        assert.equal(r.provider.length, 1, JSON.stringify(r.provider));
        assert.match(r.provider[0]!, /^codex turn\.failed: /);
        assert.equal(r.progress, 1, "codex came up (thread.started); no item came from the model");
        assert.deepEqual(r.missing, []);
      });
    }
    it("the wording does not decide: the 500's text names no error at all", () => {
      // "We're currently experiencing high demand…" matched none of the old patterns.
      assert.match(codex("http500").provider[0]!, /high demand/);
    });
    it("no server: 'Reconnecting…' errors are trouble (no verdict, no progress) for the watchdog to name", () => {
      const r = codex("noserver");
      assert.deepEqual(r.provider, []);
      assert.ok(r.trouble.length >= 1 && r.trouble.every((m) => /Reconnecting/.test(m)));
      assert.equal(r.progress, 1, "only codex coming up");
    });
    it("a hang: no progress after codex came up (thread.started)", () => {
      const r = codex("hang");
      assert.deepEqual([r.progress, r.provider.length, r.trouble.length], [1, 0, 0]);
    });
    it("a crash at start prints no event: nothing but an incomplete stream (the runner's engine_failed)", () => {
      const r = codex("crash-broken-config");
      assert.deepEqual(r.missing.map((m) => m.kind), ["incomplete"]);
      assert.deepEqual(r.provider, []);
    });
  });

  describe("pi 0.73.1", () => {
    for (const name of ["pass-chat", "pass-resp"]) {
      it(`${name}: write tool call reported, progress, no verdict`, () => {
        const r = pi(name, 0);
        assert.deepEqual(r.touched, ["src/sub.js"]);
        assert.equal(r.finished, true);
        assert.ok(r.progress > 0);
        assert.deepEqual([r.provider, r.trouble, r.missing, r.self], [[], [], [], []]);
        // user and toolResult echoes are not messages of the engine
        assert.equal(r.events.filter((e) => e.type === "engine.message").length, 2);
      });
    }
    for (const name of ["http500", "cut", "noserver", "hang"]) {
      it(`${name}: exit 0, but auto_retry_end {success:false} decides provider_unavailable`, () => {
        const r = pi(name, 0);
        assert.equal(r.provider.length, 1);
        assert.match(r.provider[0]!, /gave up after/);
        assert.ok(r.trouble.length >= 1);
        // Only the session header (pi came up); the cut stream also delivered a few streamed tokens before it died.
        if (name !== "cut") assert.equal(r.progress, 1);
      });
    }
    for (const name of ["http401", "malformed"]) {
      it(`${name}: exit 0, no retry; the last assistant message ended stopReason error → provider_unavailable`, () => {
        const r = pi(name, 0);
        assert.equal(r.provider.length, 1);
        assert.match(r.provider[0]!, /last model call failed/);
      });
    }
    it("no API key: exit 1 after the session header and before any turn → provider_unavailable, reason from stderr", () => {
      const r = pi("no-api-key", 1);
      assert.equal(r.provider.length, 1);
      assert.match(r.provider[0]!, /No API key found for openai/);
      assert.deepEqual(r.missing, []);
    });
    it("a crash at start (no session header, exit 1) is no provider verdict: the runner's engine_failed", () => {
      const r = pi("crash-unknown-option", 1);
      assert.deepEqual(r.provider, []);
      assert.deepEqual(r.missing.map((m) => m.kind), ["incomplete"]);
    });
    it("a stream that recovers after an error is no verdict", () => {
      const { sink, r } = recordingSink();
      const n = createPiNormalizer(sink);
      const lines = real("pi", "pass-chat.stdout.jsonl").trim().split("\n");
      const err = JSON.stringify({ type: "message_end", message: { role: "assistant", content: [], stopReason: "error", errorMessage: "500 boom" } });
      const retry = [JSON.stringify({ type: "auto_retry_start", attempt: 1, maxAttempts: 2, delayMs: 1, errorMessage: "500 boom" })];
      for (const l of [lines[0]!, lines[1]!, err, JSON.stringify({ type: "agent_end", messages: [] }), ...retry, ...lines.slice(1), JSON.stringify({ type: "auto_retry_end", success: true, attempt: 1 })]) n.line(l);
      n.end({ exitCode: 0, stderr: "", killed: false });
      assert.deepEqual(r.provider, []);
      assert.deepEqual(r.trouble, ["500 boom", "500 boom"]);
    });
    it("the version is read from stderr when stdout is empty", () => {
      assert.equal(versionFrom("", "0.73.1\n"), "0.73.1");
      assert.equal(versionFrom("codex-cli 0.171.0\n", ""), "codex-cli 0.171.0");
      assert.equal(versionFrom("\n", "\n"), null);
    });
  });

  describe("case (30b1fa1) event logs", () => {
    it("pass: finished, the written file reported, no verdict", () => {
      const r = caseLog("pass");
      assert.equal(r.finished, true);
      assert.deepEqual([r.missing, r.self, r.provider, r.failed], [[], [], [], []]);
      assert.deepEqual([...new Set(r.touched)], ["sub.js"]);
      assert.ok(r.events.some((e) => e.type === "engine.phase_finished" && e.data.repeated === true), "repeated phase_end records are read, marked");
    });
    it("tool output saying 'approved' is NOT a self-approval", () => {
      const r = caseLog("tool-output-says-approved");
      assert.deepEqual(r.self, []);
      assert.deepEqual([r.missing, r.provider, r.failed], [[], [], []]);
      assert.equal(r.finished, true);
    });
    it("provider down: ca exited 0, the failed implementer ran no tool → provider_unavailable", () => {
      const r = caseLog("provider-down");
      assert.equal(r.provider.length, 1);
      assert.match(r.provider[0]!, /implementer \(implement phase\) failed without running any tool.*AGENT_RESULT start delimiter not found/);
      assert.deepEqual([r.failed, r.missing, r.self], [[], [], []]);
    });
    it("dry run: completed, no file change, no verdict (the runner's no_diff)", () => {
      const r = caseLog("dry-run");
      assert.equal(r.finished, true);
      assert.deepEqual([r.touched, r.provider, r.failed, r.missing, r.self], [[], [], [], [], []]);
    });
    it("a failed pipeline whose agent worked is the pipeline's own failure → engine_failed", () => {
      const { sink, r } = recordingSink();
      const n = createCaseNormalizer(sink);
      const lines = real("case", "pass.events.jsonl").trim().split("\n").slice(0, 6).map((l) => JSON.parse(l));
      lines[5] = { ...lines[5], outcome: "failed", result: { error: "tests failed" } };
      lines.push({ event: "pipeline_end", outcome: "failed", failedAgent: "implementer", durationMs: 5, ts: lines[5].ts, sequence: 7, runId: lines[5].runId });
      for (const l of lines) n.line(JSON.stringify(l));
      n.end();
      assert.deepEqual(r.provider, []);
      assert.equal(r.failed.length, 1);
      assert.match(r.failed[0]!, /ended failed at implementer \(implement phase\): tests failed/);
    });
    it("an approval decision as a state (status_changed to 'approved') is a self-approval", () => {
      const { sink, r } = recordingSink();
      const n = createCaseNormalizer(sink);
      const first = JSON.parse(real("case", "pass.events.jsonl").split("\n")[0]!);
      n.line(JSON.stringify(first));
      n.line(JSON.stringify({ event: "status_changed", from: "reviewing", to: "approved", ts: first.ts, sequence: 2, runId: first.runId }));
      assert.equal(r.self.length, 1);
    });
  });
});
