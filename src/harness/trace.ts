// trace.jsonl: one timed span per phase, so a slow run shows where time went.
export interface Span {
  span: string;
  start: string;
  end: string;
  duration_ms: number;
  status: "ok" | "error" | "skipped";
  data?: Record<string, unknown>;
}

export class Trace {
  readonly spans: Span[] = [];

  /** Times `fn` as span `name`; a throw marks the span "error" and propagates. */
  async time<T>(name: string, fn: () => Promise<T> | T, data?: Record<string, unknown>): Promise<T> {
    const start = new Date();
    const t0 = performance.now();
    let status: Span["status"] = "ok";
    try {
      return await fn();
    } catch (e) {
      status = "error";
      throw e;
    } finally {
      this.spans.push({ span: name, start: start.toISOString(), end: new Date().toISOString(), duration_ms: round(performance.now() - t0), status, ...(data ? { data } : {}) });
    }
  }

  skip(name: string, reason: string): void {
    const now = new Date().toISOString();
    this.spans.push({ span: name, start: now, end: now, duration_ms: 0, status: "skipped", data: { reason } });
  }

  toJsonl(): string {
    return this.spans.map((s) => JSON.stringify(s)).join("\n") + (this.spans.length ? "\n" : "");
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
