// The codex, pi and case normalizers on recorded logs in their documented formats.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createCodexNormalizer } from "../../../src/harness/engines/codex";
import { createPiNormalizer } from "../../../src/harness/engines/pi";
import { createCaseNormalizer } from "../../../src/harness/engines/case";
import { createFakeNormalizer } from "../../../src/harness/engines/fake";
import type { EngineSink, Normalizer } from "../../../src/harness/engines/types";
import { ENGINE_FIXTURES } from "./helpers";

interface Recorded {
  events: { type: string; data: Record<string, unknown> }[];
  touched: string[];
  self: string[];
  missing: { reason: string; kind: string }[];
  provider: string[];
  declined: string[];
  finished: boolean;
}

function feed(make: (s: EngineSink) => Normalizer, file: string): Recorded {
  const r: Recorded = { events: [], touched: [], self: [], missing: [], provider: [], declined: [], finished: false };
  const sink: EngineSink = {
    event: (type, data = {}) => r.events.push({ type, data }),
    fileTouched: (p) => r.touched.push(p),
    selfApproval: (w) => r.self.push(w),
    missing: (reason, kind) => r.missing.push({ reason, kind }),
    providerError: (m) => r.provider.push(m),
    providerTrouble() {},
    engineFailed() {},
    progress() {},
    declined: (a) => r.declined.push(a),
    finished: () => (r.finished = true),
  };
  const n = make(sink);
  for (const line of readFileSync(join(ENGINE_FIXTURES, file), "utf8").split("\n")) n.line(line);
  n.end();
  return r;
}

describe("harness: engine normalizers (recorded logs)", () => {
  describe("codex exec --json", () => {
    it("maps a successful turn", () => {
      const r = feed(createCodexNormalizer, "codex/exec-success.jsonl");
      const types = r.events.map((e) => e.type);
      // todo_list: its item.started is skipped, its update kept.
      assert.deepEqual(types, ["engine.session", "engine.turn_started", "engine.reasoning", "engine.command_started", "engine.command_finished", "file.changed", "engine.todo", "engine.message", "engine.turn_completed"]);
      assert.equal(r.finished, true);
      assert.deepEqual(r.touched, ["src/sub.js"]);
      assert.deepEqual([r.missing, r.self, r.provider, r.declined], [[], [], [], []]);
      assert.deepEqual(r.events.find((e) => e.type === "engine.turn_completed")!.data.usage, { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 });
    });
    it("a declined command becomes the harness's approval denial", () => {
      const r = feed(createCodexNormalizer, "codex/exec-declined.jsonl");
      assert.deepEqual(r.declined, ["npm install left-pad"]);
      assert.equal(r.finished, true);
    });
    it("a provider error (stream disconnected) is provider_unavailable", () => {
      const r = feed(createCodexNormalizer, "codex/exec-provider-error.jsonl");
      assert.ok(r.provider.length >= 1);
      assert.equal(r.finished, true);
    });
    it("a truncated stream is missing_event (unreadable line + no turn.completed)", () => {
      const r = feed(createCodexNormalizer, "codex/exec-truncated.jsonl");
      assert.deepEqual(r.missing.map((m) => m.kind).sort(), ["incomplete", "unreadable"]);
    });
  });

  describe("pi --mode json", () => {
    it("maps a session with a write tool call", () => {
      const r = feed(createPiNormalizer, "pi/json-success.jsonl");
      const types = r.events.map((e) => e.type);
      assert.equal(types[0], "engine.session");
      assert.ok(types.includes("engine.tool_started") && types.includes("engine.tool_finished") && types.includes("file.changed"));
      assert.deepEqual(r.touched, ["src/sub.js"]);
      assert.equal(r.finished, true);
      assert.deepEqual([r.missing, r.self, r.provider], [[], [], []]);
      assert.equal(r.events.filter((e) => e.type === "engine.message").length, 2);
    });
    it("an auth failure is provider_unavailable", () => {
      const r = feed(createPiNormalizer, "pi/json-provider-error.jsonl");
      assert.ok(r.provider.some((m) => /401/.test(m)));
    });
    it("a stream without its session header is missing_event", () => {
      const r = feed(createPiNormalizer, "pi/json-no-header.jsonl");
      assert.ok(r.missing.length > 0);
    });
  });

  describe("case event log", () => {
    it("maps a completed pipeline", () => {
      const r = feed(createCaseNormalizer, "case/pipeline-completed.jsonl");
      assert.equal(r.finished, true);
      assert.deepEqual([r.missing, r.self], [[], []]);
      assert.deepEqual(r.events.map((e) => e.type).slice(0, 3), ["engine.pipeline_started", "engine.phase_started", "engine.tool_started"]);
      assert.equal(r.events[r.events.length - 1]!.type, "engine.pipeline_finished");
    });
    it("an approval in Case's own stream is a self-approval", () => {
      const r = feed(createCaseNormalizer, "case/self-approval.jsonl");
      assert.equal(r.self.length, 1);
      assert.deepEqual(r.missing, [], "the lines after it are still read in order");
      assert.equal(r.finished, true);
    });
    for (const [file, why] of [
      ["case/unknown-event.jsonl", /unknown event 'phase_checkpoint'/],
      ["case/sequence-gap.jsonl", /sequence 3 does not follow 1/],
      ["case/no-pipeline-end.jsonl", /no pipeline_end/],
    ] as const) {
      it(`fails closed: ${file.split("/")[1]} is missing_event`, () => {
        const r = feed(createCaseNormalizer, file);
        assert.equal(r.missing.length, 1);
        assert.match(r.missing[0]!.reason, why);
        assert.equal(r.self.length, 0);
      });
    }
  });

  describe("fake", () => {
    it("engine-chosen types cannot impersonate the harness; approval-looking ones are self-approvals", () => {
      const r: string[] = [];
      const self: string[] = [];
      const n = createFakeNormalizer({ event: (t) => r.push(t), fileTouched() {}, selfApproval: (w) => self.push(w), missing() {}, providerError() {}, providerTrouble() {}, engineFailed() {}, progress() {}, declined() {}, finished() {} });
      for (const t of ["run.finished", "tests.finished", "engine.message", "file.changed", "approval.granted", "review.approved", "custom"]) n.line(JSON.stringify({ kind: "event", type: t, data: {} }));
      assert.deepEqual(r, ["engine.emitted", "engine.emitted", "engine.message", "file.changed", "engine.emitted"]);
      assert.deepEqual(self, ["approval.granted", "review.approved"]);
    });
  });
});
