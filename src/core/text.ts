// Line tables and offset <-> (line, column) conversion. Lines and columns are 1-based,
// columns count UTF-16 code units, so they agree with VS Code positions and JS strings.
import type { Range } from "./types";

export class LineTable {
  /** Offset where each line starts; lineStarts[0] = 0. */
  readonly starts: number[];
  /** Offset where each line's text ends (its line break excluded). */
  private readonly ends: number[];
  /**
   * Lines break at "\r\n", "\n" and a lone "\r", as in VS Code: a file of lone CRs has as many
   * lines here as in the editor, so every position we report is where the editor shows it.
   */
  constructor(readonly text: string) {
    const starts = [0];
    const ends: number[] = [];
    if (text.indexOf("\r") === -1) {
      // the common case: native indexOf over "\n" only
      for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
        ends.push(i);
        starts.push(i + 1);
      }
    } else {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 10 || c === 13) {
          ends.push(i);
          if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
          starts.push(i + 1);
        }
      }
    }
    ends.push(text.length);
    this.starts = starts;
    this.ends = ends;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** Text of a 1-based line without its line break. */
  lineText(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return "";
    return this.text.slice(start, this.ends[line - 1]);
  }

  /** 1-based line containing an offset (binary search). */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  position(offset: number): { line: number; column: number } {
    const line = this.lineAt(offset);
    return { line, column: offset - this.starts[line - 1] + 1 };
  }

  range(start: number, end: number): Range {
    const a = this.position(start);
    const b = this.position(end);
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }

  offset(line: number, column: number): number {
    return (this.starts[line - 1] ?? this.text.length) + column - 1;
  }
}

/** A range on one line, from 1-based columns. */
export function lineRange(line: number, column: number, endColumn: number): Range {
  return { line, column, endLine: line, endColumn };
}

/** Whole-line range (column 1 to end of text). */
export function fullLineRange(table: LineTable, line: number): Range {
  return lineRange(line, 1, table.lineText(line).length + 1);
}
