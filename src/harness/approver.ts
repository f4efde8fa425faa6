// Approvals are decided here and only here — never by the engine. The task's
// policy decides deny|grant; `ask` goes to a person through a callback the
// VS Code layer provides. With no callback (the CLI) `ask` is answered with
// deny, and the decision says so. Any failure to decide is a deny (fail closed).

export interface ApprovalRequest {
  runId: string;
  engine: string;
  /** Unique within the run. */
  requestId: string;
  /** What the engine wants to do, in its words ("install left-pad", a command line). */
  action: string;
  detail?: Record<string, unknown>;
}

export interface ApprovalDecision {
  decision: "grant" | "deny";
  /** Who decided: "policy:deny", "policy:grant", "person", "cli:no-interactive-approver", … */
  by: string;
  reason?: string;
}

/** What the harness asks; implementations must never throw (but are guarded anyway). */
export interface Approver {
  decide(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision>;
}

/** The person behind `ask` (VS Code: a modal with Grant / Deny). */
export type AskCallback = (req: ApprovalRequest, signal: AbortSignal) => Promise<"grant" | "deny">;

export class PolicyApprover implements Approver {
  constructor(
    private readonly policy: "deny" | "grant" | "ask",
    private readonly ask?: AskCallback,
  ) {}

  async decide(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision> {
    if (this.policy === "deny") return { decision: "deny", by: "policy:deny" };
    if (this.policy === "grant") return { decision: "grant", by: "policy:grant" };
    if (!this.ask) return { decision: "deny", by: "cli:no-interactive-approver", reason: "approvals.policy is 'ask' but no person can be asked here (the CLI answers 'ask' with deny)" };
    try {
      const answer = await this.ask(req, signal);
      return answer === "grant" ? { decision: "grant", by: "person" } : { decision: "deny", by: "person" };
    } catch (e) {
      return { decision: "deny", by: "person", reason: `no answer: ${(e as Error).message}` };
    }
  }
}

/** Calls an approver with the fail-closed guard the runner relies on. */
export async function decideSafely(a: Approver, req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision> {
  try {
    const d = await a.decide(req, signal);
    if (d && (d.decision === "grant" || d.decision === "deny")) return d;
    return { decision: "deny", by: "harness", reason: "the approver returned no decision" };
  } catch (e) {
    return { decision: "deny", by: "harness", reason: `the approver failed: ${(e as Error).message}` };
  }
}
