// The normalized event stream (events.normalized.jsonl): one sequence per run,
// seq strictly increasing, every blocker followed by its `blocker.raised`.
import { EVENT_SCHEMA, type CtoEvent, type EventSource } from "./contract";

export class EventLog {
  private readonly events: CtoEvent[] = [];
  private seq = 0;
  constructor(
    readonly runId: string,
    private readonly listener?: (e: CtoEvent) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  emit(source: EventSource, type: string, data: Record<string, unknown> = {}): CtoEvent {
    const e: CtoEvent = { schema: EVENT_SCHEMA, run_id: this.runId, seq: ++this.seq, ts: this.now().toISOString(), source, type, data };
    this.events.push(e);
    try {
      this.listener?.(e);
    } catch {
      /* a listener (the VS Code layer) must not break the run */
    }
    return e;
  }

  all(): readonly CtoEvent[] {
    return this.events;
  }

  toJsonl(): string {
    return this.events.map((e) => JSON.stringify(e)).join("\n") + (this.events.length ? "\n" : "");
  }
}
