// One CTO child workspace (a folder holding WORKBOARD.yaml) held in memory and updated
// incrementally: setting one doc re-parses only that doc and tells which docs' findings may
// have changed, so the editor re-validates those and nothing else.
import { emptyConfig, parseConfig, type ConfigProblem, type CtoConfig } from "./config";
import { buildGraph, type DependencyGraph, type GraphNode } from "./graph";
import { compileLexicon, defaultLexiconSpec, getDefaultLexicon, mergeLexicon, type Lexicon, type LexiconProblem } from "./lexicon";
import type { Issue, PlanningDoc } from "./model";
import { isPlanningDoc, parseDoc } from "./parse";
import { parseWorkboard, type Workboard } from "./workboard";

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
  /** `.cto/config.yaml`, parsed (empty when absent), and its located problems. */
  config: CtoConfig = emptyConfig();
  configProblems: ConfigProblem[] = [];
  private lexiconText: string | undefined;

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
    return affected;
  }

  /** Removes a doc. The result includes the doc itself: validating it yields no findings, which clears what was reported on it. */
  deleteDoc(path: string): Set<string> {
    const affected = new Set<string>([path]);
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

  /** Sets WORKBOARD.yaml's text (undefined: the file is missing). Every doc may change. */
  setWorkboard(text: string | undefined): Set<string> {
    this.workboard = text === undefined ? undefined : parseWorkboard(text);
    this.doneStamp++;
    this.graphCache = undefined;
    return new Set(this.docs.keys());
  }

  /** Sets .cto/lexicon.yaml's text (undefined: built-in lexicon only). Every doc may change. */
  setLexicon(text: string | undefined): Set<string> {
    this.lexiconText = text;
    this.compileWorkspaceLexicon();
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
    if (this.config.candidates.join(",") !== before) this.compileWorkspaceLexicon();
    return new Set(this.docs.keys());
  }

  /** Built-in lexicon, then .cto/lexicon.yaml, then the config's extra candidate names: one place. */
  private compileWorkspaceLexicon(): void {
    const candidates = this.config.candidates;
    if (this.lexiconText === undefined && candidates.length === 0) {
      this.lexicon = getDefaultLexicon();
      this.lexiconProblems = [];
      return;
    }
    const merged = this.lexiconText === undefined ? { spec: defaultLexiconSpec(), problems: [] } : mergeLexicon(defaultLexiconSpec(), this.lexiconText);
    const spec = candidates.length > 0 ? { ...merged.spec, candidates: [...(merged.spec.candidates ?? []), ...candidates] } : merged.spec;
    this.lexicon = compileLexicon(spec);
    this.lexiconProblems = merged.problems;
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
