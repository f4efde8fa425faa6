// The editor's door to the harness: trust checks, gated-engine consent, approvals asked of the
// person, evidence per workspace. Every run goes through the harness core's runTask — the same
// path the CLI and the tests take.
import * as path from "node:path";
import * as vscode from "vscode";
import { configFolder, recordType, taskSetsOf, type ComparisonEvidence, type CtoWorkspace, type GateInputs, type ReviewEvidence } from "../../core";
import { explicitSetting } from "../config";
import {
  loadTrustStore,
  matrixFromDocs,
  readComparisons,
  readEvidence,
  readReviews,
  readTaskFacts,
  runFixtures,
  runTask,
  verifyBundle,
  type TrustStore,
  type VerifyResult,
  type ApprovalRequest,
  type CtoEvent,
  type EvidenceEntry,
  type FixtureOutcome,
  type MatrixExpectation,
  type RunResult,
} from "../../harness";
import type { Log } from "../log";
import { defaultPrompts, type Prompts } from "../prompts";
import type { PlanningModel } from "../model";

const CONSENT_KEY = "cto.harness.gatedConsent";

export class HarnessService implements vscode.Disposable {
  private readonly evidence = new Map<string, EvidenceEntry[]>();
  private readonly reviews = new Map<string, ReviewEvidence[]>();
  private readonly comparisons = new Map<string, ComparisonEvidence[]>();
  private readonly changed = new vscode.EventEmitter<CtoWorkspace | undefined>();
  /** Fires when a workspace's evidence was re-read. */
  readonly onDidChangeEvidence = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private refreshTimer: NodeJS.Timeout | undefined;
  private later: () => void = () => {};
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  /** Watchers of evidence folders outside every workspace's .cto, by folder. */
  private readonly outsideWatchers = new Map<string, vscode.Disposable>();
  /** Modal questions to the person (prompts.ts: the seam the integration tests answer through). */
  prompts: Prompts = defaultPrompts();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly model: PlanningModel,
    private readonly log: Log,
  ) {
    // Bundles, reviews and comparisons are written atomically: a whole folder renamed into place,
    // which a watcher reports as one folder event and never as the files inside. So every path
    // under a workspace's .cto (runs, compare, trusted-keys) counts, folders included; an evidence
    // folder configured elsewhere gets a watcher of its own (syncEvidenceWatchers).
    const evidenceFiles = vscode.workspace.createFileSystemWatcher("**/.cto/**");
    const tasks = vscode.workspace.createFileSystemWatcher("**/*.{yaml,yml}");
    const taskFiles = vscode.workspace.createFileSystemWatcher("**/*.{yaml,yml}", true, false, true);
    const later = (this.later = () => {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => void this.refreshEvidence(), 300);
    });
    const taskFile = (u: vscode.Uri) => {
      if (this.model.workspaces().some((ws) => taskSetsOf(ws).some((s) => s.rows.some((r) => path.resolve(ws.root, r.file) === u.fsPath)))) later();
    };
    this.disposables.push(
      evidenceFiles,
      evidenceFiles.onDidCreate(later),
      evidenceFiles.onDidChange(later),
      evidenceFiles.onDidDelete(later),
      tasks,
      tasks.onDidCreate(taskFile),
      tasks.onDidChange(taskFile),
      tasks.onDidDelete(taskFile),
      taskFiles,
      taskFiles.onDidChange((uri) => {
        if (this.isComparedTask(uri.fsPath)) later();
      }),
      // Typing in a planning doc changes no bundle: only an edit to the matrix doc (whose rows
      // decide which bundles match) or to a task set (whose rows name the tasks) calls for
      // re-reading the evidence.
      model.onDidChange((c) => {
        if ([...c.affected].some((rel) => { const d = c.ws.docs.get(rel); const t = d && recordType(d); return (t === "failure-matrix" || t === "task-set") && !c.factsOnly; })) later();
      }),
    );
  }

  /** Into the CTO log (a task's error is also shown in its terminal). */
  logError(message: string, e: unknown): void {
    this.log.error(message, e);
  }

  /** Refuses with a clear message in an untrusted workspace; validation keeps working there. */
  requireTrust(action: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window
      .showWarningMessage(`CTO: ${action} is disabled in an untrusted workspace: nothing is executed here. Validation still works.`, "Manage Workspace Trust")
      .then((pick) => pick && vscode.commands.executeCommand("workbench.trust.manage"));
    return false;
  }

  /** The setting you set, else the workspace's .cto/config.yaml `evidenceFolder`, else .cto/runs. */
  evidenceDir(ws: CtoWorkspace): string {
    const setting = explicitSetting<string>("harness.evidenceFolder", vscode.Uri.file(ws.root));
    return setting ? path.resolve(ws.root, setting) : configFolder(ws.root, ws.config.evidenceFolder, ".cto/runs");
  }

  /** The setting you set, else the config's `fixturesFolder` (of `ws`, default the first workspace), else the shipped fixtures. */
  fixturesDir(ws: CtoWorkspace | undefined = this.model.workspaces()[0]): string {
    const setting = explicitSetting<string>("harness.fixturesFolder");
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
    if (setting) return path.resolve(folder, setting);
    if (ws?.config.fixturesFolder) return configFolder(ws.root, ws.config.fixturesFolder, "");
    return path.join(this.context.extensionPath, "fixtures", "harness");
  }

  /** The CTO workspace that holds the failure matrix (the first one that does). */
  async matrixWorkspace(): Promise<{ ws: CtoWorkspace; rows: MatrixExpectation[]; doc?: string } | undefined> {
    for (const ws of this.model.workspaces()) {
      const m = matrixFromDocs(ws.root, ws.planningDocs());
      if (m.rows.length > 0) return { ws, rows: m.rows, ...(m.doc ? { doc: m.doc } : {}) };
    }
    return undefined;
  }

  /**
   * Gated engines run only when the setting lists them AND the person confirmed it once for
   * this workspace; without both, the harness refuses them (engine_not_enabled).
   */
  async enabledGated(engine: string): Promise<string[]> {
    const listed = vscode.workspace.getConfiguration("cto").get<string[]>("harness.enabledGatedEngines") ?? [];
    if (!listed.includes(engine)) return [];
    const consented = this.context.workspaceState.get<string[]>(CONSENT_KEY) ?? [];
    if (consented.includes(engine)) return [engine];
    const pick = await this.prompts.modal(
      `Run the gated engine '${engine}' in this workspace?`,
      `'${engine}' is a candidate backend. It still needs a valid source admission record and an eligibility decision that selects it, and it runs only in the sandbox. You are asked once per workspace.`,
      "Enable for This Workspace",
    );
    if (pick !== "Enable for This Workspace") return [];
    await this.context.workspaceState.update(CONSENT_KEY, [...consented, engine]);
    return [engine];
  }

  /** The person answers an engine's approval request; the harness records it as from the approver. */
  async ask(req: ApprovalRequest): Promise<"grant" | "deny"> {
    const pick = await vscode.window.showWarningMessage(
      `${req.engine} asks for approval: ${req.action}`,
      { modal: true, detail: `Run ${req.runId}, request ${req.requestId}.${req.detail ? `\n${req.detail}` : ""}\nYour answer is recorded in the evidence as approval.granted or approval.denied from the approver.` },
      "Grant",
      "Deny",
    );
    return pick === "Grant" ? "grant" : "deny";
  }

  /** One engine run on a task file, streamed to `write` (on a throwaway repo when `sandboxRepo` names one). */
  async run(ws: CtoWorkspace | undefined, engine: string, taskFile: string, write: (line: string) => void, signal: AbortSignal, extra: { sandboxRepo?: string } = {}): Promise<RunResult> {
    const outDir = ws ? this.evidenceDir(ws) : path.join(path.dirname(taskFile), ".cto", "runs");
    const result = await runTask(
      {
        engine,
        taskFile,
        outDir,
        enableGated: await this.enabledGated(engine),
        ...(ws ? { recordsDir: ws.root } : {}),
        isolation: (vscode.workspace.getConfiguration("cto").get<string>("harness.isolation") ?? "auto") as "auto" | "required" | "none",
        ...(extra.sandboxRepo ? { sandboxRepo: extra.sandboxRepo } : {}),
      },
      { onEvent: (e) => write(formatEvent(e)), ask: (req) => this.ask(req), signal },
    );
    void this.refreshEvidence();
    return result;
  }

  /** Runs matrix rows (all when `names` is empty), streaming progress. */
  async fixtures(names: string[], write: (line: string) => void, signal: AbortSignal): Promise<FixtureOutcome[]> {
    const m = await this.matrixWorkspace();
    if (!m) throw new Error("no failure matrix (a planning doc with record_type: failure-matrix) in this workspace");
    const outcomes = await runFixtures({
      fixturesDir: this.fixturesDir(m.ws),
      matrix: m.rows,
      names,
      outDir: this.evidenceDir(m.ws),
      signal,
      onProgress: (e) => {
        if (e.phase === "started") write(`▶ ${e.row}`);
        else if (e.outcome) write(`${e.outcome.matched ? "✔" : "✘"} ${e.row}: ${describeOutcome(e.outcome)}`);
      },
    });
    void this.refreshEvidence();
    return outcomes;
  }

  /**
   * The keys whose signatures count for a workspace: this machine's, plus the workspace's
   * .cto/trusted-keys only when VS Code trusts the workspace (an untrusted folder must not
   * bring the keys that make its own bundles count).
   */
  trustFor(ws: CtoWorkspace | undefined): TrustStore {
    return loadTrustStore(ws && vscode.workspace.isTrusted ? { workspaceRoot: ws.root } : {});
  }

  /** Verifies a bundle now, with the trust of the workspace whose evidence (or folder) holds it. */
  async verify(bundleDir: string): Promise<VerifyResult> {
    const inside = (dir: string) => {
      const rel = path.relative(dir, bundleDir);
      return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
    };
    const list = this.model.workspaces();
    const ws = list.find((w) => inside(this.evidenceDir(w))) ?? list.find((w) => inside(w.root));
    return verifyBundle(bundleDir, { trust: this.trustFor(ws) });
  }

  evidenceOf(ws: CtoWorkspace): EvidenceEntry[] {
    return this.evidence.get(ws.root) ?? [];
  }

  /** The workspace's comparisons (.cto/compare), each bundle of the deciding one verified at the last refresh. */
  comparisonsOf(ws: CtoWorkspace): ComparisonEvidence[] {
    return this.comparisons.get(ws.root) ?? [];
  }

  /** Whether a file is a task of a comparison read last (its digest decides whether the comparison is current). */
  private isComparedTask(file: string): boolean {
    for (const [root, list] of this.comparisons) for (const c of list) if (c.tasks.some((t) => path.resolve(root, t.path) === path.resolve(file))) return true;
    return false;
  }

  /** Reviews by a person found beside the workspace's bundles (each signature checked when read). */
  reviewsOf(ws: CtoWorkspace): ReviewEvidence[] {
    return this.reviews.get(ws.root) ?? [];
  }

  /** What the gates read besides the bundles. */
  gateInputs(ws: CtoWorkspace): GateInputs {
    return { reviews: this.reviewsOf(ws), comparisons: this.comparisonsOf(ws) };
  }

  /**
   * Re-reads each workspace's evidence: the bundles and reviews (verified now) and the task
   * facts of its task sets (task files, repos: read the harness's way), which re-validates them.
   */
  refreshEvidence(): Promise<void> {
    // One pass at a time: a call during a pass gets a further pass that starts after it (so what it
    // awaits includes what changed before it called), and a slower, older pass can never overwrite
    // a newer one's results. Watchers fire in bursts while a matrix writes its bundles.
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const passes = async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.readAllEvidence();
        } while (this.refreshAgain);
      } finally {
        this.refreshing = undefined;
      }
    };
    return (this.refreshing = passes());
  }

  private async readAllEvidence(): Promise<void> {
    this.syncEvidenceWatchers();
    for (const ws of this.model.workspaces()) {
      try {
        const runsDir = this.evidenceDir(ws);
        const trust = this.trustFor(ws);
        this.model.setTaskFacts(ws, await readTaskFacts(ws, { runsDir }), true);
        const matrix = matrixFromDocs(ws.root, ws.planningDocs()).rows;
        const [evidence, reviews] = await Promise.all([readEvidence(runsDir, { matrix, fixturesDir: this.fixturesDir(ws), trust }), readReviews(runsDir, trust)]);
        this.evidence.set(ws.root, evidence);
        this.reviews.set(ws.root, reviews);
        this.comparisons.set(ws.root, await readComparisons(path.join(ws.root, ".cto", "compare"), { root: ws.root, trust, runsDir }));
      } catch (e) {
        this.log.error(`reading evidence of ${ws.root} failed`, e);
      }
      this.changed.fire(ws);
    }
  }

  /** One watcher per evidence folder that lies outside the workspace's .cto (settings, config). */
  private syncEvidenceWatchers(): void {
    const wanted = new Set<string>();
    for (const ws of this.model.workspaces()) {
      const dir = this.evidenceDir(ws);
      const rel = path.relative(path.join(ws.root, ".cto"), dir);
      if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) continue;
      wanted.add(dir);
    }
    for (const [dir, w] of this.outsideWatchers) if (!wanted.has(dir)) (w.dispose(), this.outsideWatchers.delete(dir));
    for (const dir of wanted) {
      if (this.outsideWatchers.has(dir)) continue;
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), "**"));
      const later = () => this.later();
      this.outsideWatchers.set(dir, vscode.Disposable.from(w, w.onDidCreate(later), w.onDidChange(later), w.onDidDelete(later)));
    }
  }

  dispose(): void {
    for (const w of this.outsideWatchers.values()) w.dispose();
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }
}

export function describeOutcome(o: FixtureOutcome): string {
  const a = o.actual;
  const got = `${a.blocker ?? "—"} / ${a.status} / exit ${a.exit}${a.bundleDir ? (a.verified ? " / verified" : ` / NOT verified${a.verifyReason ? `: ${a.verifyReason}` : ""}`) : " / no bundle"}`;
  return o.matched ? got : `${got} — ${o.mismatches.join("; ")}`;
}

function formatEvent(e: CtoEvent): string {
  const data = e.data && Object.keys(e.data).length > 0 ? ` ${JSON.stringify(e.data).slice(0, 160)}` : "";
  return `${e.ts.slice(11, 23)} ${e.source.padEnd(8)} ${e.type}${data}`;
}
