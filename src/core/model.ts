// The planning-doc model: what a parsed doc looks like. Pure data, built by parse.ts.
import type { Range } from "./types";
import type { LineTable } from "./text";

/** A scalar with where it sits in the file. */
export interface Located<T = string> {
  value: T;
  range: Range;
}

export interface FrontmatterKey {
  key: string;
  /** The parsed value (strings stay strings: dates are not converted). */
  value: unknown;
  /** Range of the key token. */
  keyRange: Range;
  /** Range of the value (or of the key when the value is empty). */
  valueRange: Range;
}

export interface Frontmatter {
  /** false when the file does not start with a `---` line. */
  present: boolean;
  /** Line of the opening `---` (1) and of the closing one (0 when unterminated). */
  openLine: number;
  closeLine: number;
  /** Top-level keys in source order. Empty when YAML failed to parse into a mapping. */
  keys: FrontmatterKey[];
  /** Parsed data (the mapping), or undefined when not a mapping. */
  data: Record<string, unknown> | undefined;
  /** YAML syntax errors, located in the file. */
  errors: { message: string; range: Range }[];
}

/** A `Key: value` line inside a section. */
export interface Field {
  key: string;
  value: string;
  keyRange: Range;
  valueRange: Range;
  /** Continuation lines / list items directly under an empty-valued field. */
  items: Located[];
}

/** A `- [ ]` / `- [x]` acceptance criterion. */
export interface Criterion {
  checked: boolean;
  text: string;
  /** Range of the whole item line text (after indentation). */
  range: Range;
  /** Range of the single character inside the brackets (the mark to toggle). */
  markRange: Range;
}

/** Any markdown heading section (`#`..`######`), body up to the next heading of the same or higher level. */
export interface Section {
  level: number;
  title: string;
  /** Range of the heading line's text (including the #'s). */
  headingRange: Range;
  /** Range of the heading text after the #'s. */
  titleRange: Range;
  /** Last line of the section body (inclusive). */
  endLine: number;
  fields: Field[];
  criteria: Criterion[];
}

/** A `### CTO-WORK-NNN - Title` section. */
export interface Issue extends Section {
  id: string;
  idRange: Range;
  issueTitle: string;
  /** The IDs listed on the `Blocked by:` line (empty when `None` or missing). */
  blockedBy: Located[];
  /** Tokens on the `Blocked by:` line that are neither IDs nor None. */
  blockedByJunk: Located[];
}

/**
 * A run of prose (paragraph, list item, `Key: value` field, heading text, table row) with quoted
 * material masked by spaces. Lines are joined with one space; `segments` map text indexes
 * back to file offsets (segment k covers text from segments[k].at; with `len`, text the block
 * put there itself, such as a table header standing in for a "yes" cell, maps onto that many
 * characters of the file and no further).
 */
export interface ProseBlock {
  text: string;
  segments: { at: number; offset: number; len?: number }[];
}

/** A `CTO-WORK-NNN` mention anywhere in the doc (for references / hover). */
export interface IdMention {
  id: string;
  range: Range;
  /** "definition" for a section heading, "blocker" on a `Blocked by:` line, else "mention". */
  kind: "definition" | "blocker" | "mention";
}

export interface PlanningDoc {
  /** Workspace-root-relative posix path. */
  path: string;
  /** The text as given (BOM removed; see `hadBom`). */
  text: string;
  hadBom: boolean;
  /** The file's first line break ("\n" when it has none), for text a fix inserts. */
  eol: "\n" | "\r\n" | "\r";
  /** Line table over `text`. */
  lines: LineTable;
  frontmatter: Frontmatter;
  /** First body line (after the closing `---`, or 1). */
  bodyStartLine: number;
  sections: Section[];
  issues: Issue[];
  prose: ProseBlock[];
  mentions: IdMention[];
  /** Why the doc could not be read as text (binary, too large, not UTF-8); the rest is empty then. */
  unreadable?: string;
  /** Where the first bad byte is, when there is one. */
  unreadableAt?: { line: number; column: number };
  /** The unreadable file opens with a frontmatter fence: it is a planning doc (an error, not a skip). */
  unreadableLooksPlanning?: boolean;
}
