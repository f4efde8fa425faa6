// One CTO child workspace (a folder holding WORKBOARD.yaml) held in memory and updated
// incrementally: setting one doc re-parses only that doc and tells which docs' findings may
// have changed, so the editor re-validates those and nothing else.
import type { DoneRecordView } from "./done";
import { emptyConfig, parseConfig, type ConfigProblem, type CtoConfig } from "./config";
import { buildGraph, type DependencyGraph, type GraphNode } from "./graph";
import { candidatesLexicon, getDefaultLexicon, workspaceLexicon, type Lexicon, type LexiconProblem } from "./lexicon";
import type { Issue, PlanningDoc } from "./model";
import { isPlanningDoc, parseDoc } from "./parse";
import type { TaskFacts } from "./taskSets";
import { parseWorkboard, WORKBOARD_FILE, type Workboard } from "./workboard";

export const LEXICON_FILE = ".cto/lexicon.yaml";

export interface IssueDef {
  doc: string;
  issue: Issue;
}

export class CtoWorkspace {
  readonly docs = new Map<string, PlanningDoc>();
  /** Every file path seen in the workspace (any extension), for existence checks. */
  readonly files = new Set<string>();
  workboard: Workboard | undefined;
  lexicon: Lexicon = getDefaultLexicon();
  lexiconProblems: LexiconProblem[] = [];
  /**
   * What the harness read about the task files the task-set records name (digest, repo base
   * tree, clean or not), keyed by workspace-relative path; see setTaskFacts.
   */
  taskFacts = new Map<string, TaskFacts>();
  /** The done records as the host read and verified them (setDoneRecords); undefined: not read. */
  doneRecords: ReadonlyMap<string, DoneRecordView> | undefined;
  /** `.cto/config.yaml`, parsed (empty when absent), and its located problems. */
  config: CtoConfig = emptyConfig();
  configProblems: ConfigProblem[] = [];
  /** What discovery could not search (unreadable folders, the file cap): errors, never silent. */
  searchProblems: { path: string; message: string }[] = [];
  /** What discovery deliberately did not enter (symlinked folders): listed as skipped. */
  notSearched: { path: string; reason: string }[] = [];

  private idDefs = new Map<string, IssueDef[]>();
  private refsTo = new Map<string, Set<string>>();
  private sourcedBy = new Map<string, Set<string>>();
  private graphCache: DependencyGraph | undefined;
  private doneStamp = 0;

  /** @param root absolute path of the folder holding WORKBOARD.yaml */
  constructor(readonly root: string) {}

  /**
   * Sets (adds or replaces) a markdown doc. Returns the docs whose findings may change:
   * itself, docs sharing or referencing its IDs, docs naming it as `source:`, and docs on
   * dependency cycles before or after the change. `bulk` skips that bookkeeping for loading.
   */
  setDoc(path: string, content: string | Uint8Array, bulk = false): Set<string> {
    const old = this.docs.get(path);
    const doc = parseDoc(path, content);
    // Findings of other docs depend on this one's IDs and blockers, its `source:` and its dates;
    // an edit to prose changes none of them, so it re-validates only the doc (and its dependants
    // through `source:`).
    const crossDoc = new Set<string>();
    if (old) this.unindex(old, crossDoc);
    this.docs.set(path, doc);
    this.files.add(path);
    this.index(doc, crossDoc);
    const affected = new Set<string>([path, ...this.docsSourcedBy(path)]);
    if (!old || graphSignature(old) !== graphSignature(doc)) {
      for (const d of crossDoc) affected.add(d);
      this.noteGraphChange(affected);
      if (!bulk) for (const d of this.cycleDocs()) affected.add(d);
    }
    if (!old || doneSignature(old) !== doneSignature(doc)) this.doneStamp++;
    const before = old ? sourceOf(old) : undefined;
    const after = sourceOf(doc);
    if (before !== after) for (const s of [before, after]) if (s && this.docs.has(s)) affected.add(s); // PRD status moves
    // The engine an eligibility decision selects is a candidate too (CONTRACT §3): when that
    // changes, every doc is read with the new candidate list.
    if (this.noteSelected(path, selectedBackend(doc)) && !bulk) for (const d of this.docs.keys()) affected.add(d);
    return affected;
  }

  /** Backends selected by eligibility decisions, by doc. */
  private selected = new Map<string, string>();
  private lexiconText: string | undefined | { unreadable: string };

  /** Records a doc's selected backend; true when the set of selected backends changed. */
  private noteSelected(path: string, name: string | undefined): boolean {
    const before = [...new Set(this.selected.values())].sort().join(",");
    if (name) this.selected.set(path, name);
    else this.selected.delete(path);
    if ([...new Set(this.selected.values())].sort().join(",") === before) return false;
    this.compileLexicon();
    return true;
  }

  /** Removes a doc. The result includes the doc itself: validating it yields no findings, which clears what was reported on it. */
  deleteDoc(path: string): Set<string> {
    const affected = new Set<string>([path]);
    if (this.noteSelected(path, undefined)) for (const d of this.docs.keys()) affected.add(d);
    const old = this.docs.get(path);
    if (old) this.unindex(old, affected);
    this.docs.delete(path);
    this.files.delete(path);
    this.doneStamp++;
    this.noteGraphChange(affected);
    for (const d of this.cycleDocs()) affected.add(d);
    return affected;
  }

  /** Changes whenever some issue's done-ness may have changed (caches of readiness key on it). */
  get statusStamp(): number {
    return this.doneStamp;
  }

  /** Sets WORKBOARD.yaml's text (undefined: the file is missing; `{ unreadable }`: present but not text). Every doc may change. */
  setWorkboard(text: string | undefined | { unreadable: string }): Set<string> {
    if (typeof text === "object") {
      // An unreadable workboard is an error on it, never "no workboard" or an empty one.
      this.workboard = parseWorkboard("");
      this.workboard.errors.push({ message: `${WORKBOARD_FILE} cannot be read: ${text.unreadable}`, range: { line: 1, column: 1, endLine: 1, endColumn: 2 } });
    } else this.workboard = text === undefined ? undefined : parseWorkboard(text);
    this.doneStamp++;
    this.graphCache = undefined;
    return new Set(this.docs.keys());
  }

  /**
   * Sets the done records (the host's verified views of .cto/done/*.json). Done-ness moves with
   * them: returns the docs defining the issues they name, before and after.
   */
  setDoneRecords(records: ReadonlyMap<string, DoneRecordView>): Set<string> {
    const affected = new Set<string>();
    for (const id of new Set([...(this.doneRecords?.keys() ?? []), ...records.keys()])) for (const d of this.idDefs.get(id) ?? []) affected.add(d.doc);
    this.doneRecords = records;
    this.doneStamp++;
    return affected;
  }

  /** Sets .cto/lexicon.yaml's text (undefined: built-in lexicon only; `{ unreadable }`: an error). Every doc may change. */
  setLexicon(text: string | undefined | { unreadable: string }): Set<string> {
    this.lexiconText = text;
    this.compileLexicon();
    return new Set(this.docs.keys());
  }

  /**
   * Sets .cto/config.yaml's text (undefined: absent; `{ unreadable }`: present but not text,
   * which is a located problem, never silently no config). Every doc may change.
   */
  setConfig(text: string | undefined | { unreadable: string }): Set<string> {
    const before = this.config.candidates.join(",");
    if (typeof text === "string") {
      const r = parseConfig(text);
      this.config = r.config;
      this.configProblems = r.problems;
    } else {
      this.config = emptyConfig();
      this.configProblems = text ? [{ message: text.unreadable, range: { line: 1, column: 1, endLine: 1, endColumn: 2 } }] : [];
    }
    if (this.config.candidates.join(",") !== before) this.compileLexicon();
    return new Set(this.docs.keys());
  }

  /**
   * The lexicon: built-in, then .cto/lexicon.yaml, then the candidates eligibility decisions
   * select, all through LexiconSpec.candidates (withCandidates): the one entry point for names.
   */
  private compileLexicon(): void {
    const text = this.lexiconText;
    const extra = [...new Set([...this.selected.values(), ...this.config.candidates.map((c) => c.toLowerCase())])];
    if (typeof text === "object") {
      this.lexicon = getDefaultLexicon();
      this.lexiconProblems = [{ message: `${LEXICON_FILE} cannot be read: ${text.unreadable}`, line: 1, column: 1 }];
    } else if (text === undefined) {
      this.lexicon = getDefaultLexicon();
      this.lexiconProblems = [];
    } else {
      const { lexicon, problems } = workspaceLexicon(text);
      this.lexicon = lexicon;
      this.lexiconProblems = problems;
    }
    if (extra.some((n) => !(this.lexicon.spec.candidates ?? []).includes(n))) this.lexicon = candidatesLexicon(this.lexicon, extra);
  }

  /**
   * Replaces the task facts (the harness reads them: src/harness/taskFacts.ts). Returns the
   * task-set docs, whose record-structure findings depend on them.
   */
  setTaskFacts(facts: Map<string, TaskFacts>): Set<string> {
    this.taskFacts = facts;
    return new Set([...this.docs.values()].filter((d) => d.frontmatter.data?.record_type === "task-set").map((d) => d.path));
  }

  planningDocs(): PlanningDoc[] {
    return [...this.docs.values()].filter(isPlanningDoc);
  }

  definitions(id: string): IssueDef[] {
    return this.idDefs.get(id) ?? [];
  }

  allDefinitions(): Map<string, IssueDef[]> {
    return this.idDefs;
  }

  /** Docs whose `source:` names this path. */
  docsSourcedBy(path: string): string[] {
    return [...(this.sourcedBy.get(path) ?? [])];
  }

  /** The issue graph over docs and WORKBOARD.yaml items (cached until an ID or blocker changes). */
  graph(): DependencyGraph {
    if (this.graphCache) return this.graphCache;
    const nodes = new Map<string, GraphNode>();
    for (const [id, item] of this.workboard?.items ?? []) nodes.set(id, { id, blockedBy: item.blockedBy.map((b) => b.value) });
    for (const [id, defs] of this.idDefs) nodes.set(id, { id, blockedBy: defs[0].issue.blockedBy.map((b) => b.value) });
    this.graphCache = buildGraph(nodes.values());
    return this.graphCache;
  }

  private index(doc: PlanningDoc, affected: Set<string>): void {
    for (const issue of doc.issues) {
      const defs = this.idDefs.get(issue.id);
      if (defs) {
        for (const d of defs) affected.add(d.doc);
        defs.push({ doc: doc.path, issue });
      } else this.idDefs.set(issue.id, [{ doc: doc.path, issue }]);
      for (const r of this.refsTo.get(issue.id) ?? []) affected.add(r);
      for (const b of issue.blockedBy) {
        const set = this.refsTo.get(b.value);
        if (set) set.add(doc.path);
        else this.refsTo.set(b.value, new Set([doc.path]));
      }
    }
    const source = sourceOf(doc);
    if (source) {
      const set = this.sourcedBy.get(source);
      if (set) set.add(doc.path);
      else this.sourcedBy.set(source, new Set([doc.path]));
    }
    for (const s of this.sourcedBy.get(doc.path) ?? []) affected.add(s);
  }

  private unindex(doc: PlanningDoc, affected: Set<string>): void {
    for (const issue of doc.issues) {
      const defs = this.idDefs.get(issue.id);
      if (defs) {
        const rest = defs.filter((d) => d.doc !== doc.path);
        for (const d of rest) affected.add(d.doc);
        if (rest.length > 0) this.idDefs.set(issue.id, rest);
        else this.idDefs.delete(issue.id);
      }
      for (const r of this.refsTo.get(issue.id) ?? []) affected.add(r);
      for (const b of issue.blockedBy) this.refsTo.get(b.value)?.delete(doc.path);
    }
    const source = sourceOf(doc);
    if (source) this.sourcedBy.get(source)?.delete(doc.path);
    for (const s of this.sourcedBy.get(doc.path) ?? []) affected.add(s);
  }

  /** A change can open or close a cycle: the docs on old and new cycles are affected too. */
  private noteGraphChange(affected: Set<string>): void {
    if (this.graphCache) for (const c of this.graphCache.cycles) this.addCycleDocs(c, affected);
    this.graphCache = undefined;
  }

  /** Docs holding an issue that sits on a dependency cycle. */
  cycleDocs(): Set<string> {
    const out = new Set<string>();
    for (const c of this.graph().cycles) this.addCycleDocs(c, out);
    return out;
  }

  private addCycleDocs(cycle: string[], out: Set<string>): void {
    for (const id of cycle) for (const d of this.idDefs.get(id) ?? []) out.add(d.doc);
  }
}

/** The doc's `source:` as a workspace-relative path, when it is a string. */
export function sourceOf(doc: PlanningDoc): string | undefined {
  const s = doc.frontmatter.data?.source;
  return typeof s === "string" && s.trim() !== "" ? normalizeRel(s.trim()) : undefined;
}

/** Posix, no leading `./`; undefined-safe for hostile inputs (checked by the rules). */
export function normalizeRel(p: string): string {
  return p.replace(/\\/g, "/").replace(/^(\.\/)+/, "");
}

/** Which issues are done (every criterion checked): what readiness depends on besides the graph. */
function doneSignature(doc: PlanningDoc): string {
  return doc.issues.map((i) => `${i.id}:${i.criteria.length > 0 && i.criteria.every((c) => c.checked) ? 1 : 0}`).join(";");
}

/** IDs and their blockers: what the dependency graph depends on. */
function graphSignature(doc: PlanningDoc): string {
  return doc.issues.map((i) => `${i.id}<${i.blockedBy.map((b) => b.value).join(",")}`).join(";");
}

/** The backend an eligibility decision record selects (`Selected backend: case`), lower case. */
function selectedBackend(doc: PlanningDoc): string | undefined {
  if (doc.frontmatter.data?.record_type !== "eligibility-decision") return undefined;
  for (const sec of doc.sections) {
    const f = sec.fields.find((x) => x.key.toLowerCase() === "selected backend");
    const v = f?.value.replace(/`/g, "").trim().toLowerCase();
    if (v && /^[a-z0-9][\w.-]*$/.test(v)) return v;
  }
  return undefined;
}
