// An issue's `Validator:` line as an argv, parsed without a shell (`cto done` and the validator
// task run it so). The line holds one command, bare or as one markdown code span
// (`python3 tools/validate_cto_child.py`). Words split at blanks; 'single quotes' are literal;
// "double quotes" take \" \\ \$ \` escapes; a backslash outside quotes escapes the next character.
// Whatever only a shell would give a meaning — pipes, lists (`&&`, `;`), redirections, `$VAR`
// and `$(…)`, backquotes, globs, `~`, braces, comments, `NAME=value` prefixes — is refused at
// its column, never passed on as a literal argument (that would run something else than what the
// line appears to say).
import type { Field, Issue } from "./model";
import type { Range } from "./types";

/** Bounds on one command (a validator line is a command, not a script). */
export const VALIDATOR_LIMITS = { chars: 8192, words: 256 } as const;

export type ArgvParse = { argv: string[] } | { error: string; at: number };

const SHELL_OPERATORS: Record<string, string> = {
  "|": "a pipe",
  "&": "a background job or an && list",
  ";": "a command list",
  "<": "a redirection",
  ">": "a redirection",
  "(": "a subshell",
  ")": "a subshell",
};

/** Splits a command line into words, or says (at which index) why it needs a shell. */
export function splitArgv(line: string): ArgvParse {
  if (line.length > VALIDATOR_LIMITS.chars) return { error: `the command is longer than ${VALIDATOR_LIMITS.chars} characters`, at: VALIDATOR_LIMITS.chars };
  const words: string[] = [];
  let cur: string | undefined;
  /** Where the word being read starts, and whether any of it was quoted or escaped. */
  let wordStart = 0;
  let quoted = false;
  const end = () => {
    if (cur === undefined) return undefined;
    if (words.length === 0 && !quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(cur)) return { error: `'${cur.split("=")[0]}=…' sets an environment variable, which needs a shell: cto runs the validator without one`, at: wordStart };
    words.push(cur);
    cur = undefined;
    quoted = false;
    if (words.length > VALIDATOR_LIMITS.words) return { error: `the command has more than ${VALIDATOR_LIMITS.words} words`, at: wordStart };
    return undefined;
  };
  const begin = (i: number) => {
    if (cur === undefined) {
      cur = "";
      wordStart = i;
    }
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    const code = line.charCodeAt(i);
    if (c === " " || c === "\t") {
      const e = end();
      if (e) return e;
      i++;
      continue;
    }
    if (code < 0x20 || code === 0x7f) return { error: `a control character (U+${code.toString(16).padStart(4, "0").toUpperCase()}) in the command`, at: i };
    if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) return { error: "a single quote that is never closed", at: i };
      begin(i);
      cur += line.slice(i + 1, close);
      quoted = true;
      i = close + 1;
      continue;
    }
    if (c === '"') {
      begin(i);
      quoted = true;
      let j = i + 1;
      for (;;) {
        if (j >= line.length) return { error: "a double quote that is never closed", at: i };
        const d = line[j]!;
        if (d === '"') break;
        if (d === "\\" && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) {
          cur += line[j + 1];
          j += 2;
          continue;
        }
        if (d === "$") return { error: "'$' inside double quotes is a shell expansion: write '$' inside 'single quotes' to pass it literally", at: j };
        if (d === "`") return { error: "a backquote inside double quotes is command substitution, which needs a shell", at: j };
        const dc = line.charCodeAt(j);
        if (dc < 0x20 || dc === 0x7f) return { error: `a control character (U+${dc.toString(16).padStart(4, "0").toUpperCase()}) in the command`, at: j };
        cur += d;
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === "\\") {
      if (i + 1 >= line.length) return { error: "a backslash at the end of the command escapes nothing", at: i };
      begin(i);
      cur += line[i + 1];
      quoted = true;
      i += 2;
      continue;
    }
    const op = SHELL_OPERATORS[c];
    if (op) return { error: `'${c}' is ${op}, which needs a shell: cto runs the validator without one (write one command, or put the steps in a script the Validator: line runs)`, at: i };
    if (c === "$") return { error: line[i + 1] === "(" ? "'$(…)' is command substitution, which needs a shell" : "'$' is a shell expansion: write it inside 'single quotes' to pass it literally", at: i };
    if (c === "`") return { error: "a backquote is command substitution, which needs a shell", at: i };
    if (c === "*" || c === "?" || c === "[") return { error: `'${c}' is a glob a shell would expand: quote it ('${c}') to pass it literally`, at: i };
    if (c === "{" || c === "}") return { error: `'${c}' is brace expansion or grouping in a shell: quote it to pass it literally`, at: i };
    if (cur === undefined && c === "~") return { error: "'~' at the start of a word is a shell's home-folder expansion: write the path out", at: i };
    if (cur === undefined && c === "#") return { error: "'#' at the start of a word starts a shell comment: quote it to pass it literally", at: i };
    if (cur === undefined && c === "!" && words.length === 0) return { error: "'!' negates a command in a shell: cto runs the validator without one", at: i };
    begin(i);
    cur += c;
    i++;
  }
  const e = end();
  if (e) return e;
  if (words.length === 0) return { error: "the command is empty", at: 0 };
  if (words[0] === "") return { error: "the program name is empty", at: 0 };
  return { argv: words };
}

export type ValidatorCommand = { argv: string[]; field: Field } | { problem: { message: string; range: Range }; field?: Field };

/** The issue's `Validator:` field (first one), if any. */
export function validatorField(issue: Issue): Field | undefined {
  return issue.fields.find((f) => f.key.toLowerCase() === "validator");
}

/**
 * The issue's Validator: line as an argv, or a problem located in the doc: no line, an empty
 * line, prose or several commands around code spans, or a command that needs a shell.
 */
export function validatorCommand(issue: Issue): ValidatorCommand {
  const field = validatorField(issue);
  if (!field) return { problem: { message: `${issue.id} has no 'Validator:' line`, range: issue.headingRange } };
  const at = (offset: number, length = 1): Range => {
    const col = field.valueRange.column + offset;
    return { line: field.valueRange.line, column: col, endLine: field.valueRange.line, endColumn: col + Math.max(1, length) };
  };
  const whole = field.valueRange.line === field.valueRange.endLine ? field.valueRange : field.keyRange;
  const value = field.value;
  if (value.trim() === "") {
    const message = field.items.length > 0 ? `${issue.id}: write the command on the 'Validator:' line itself (the lines below it are not run)` : `${issue.id}'s 'Validator:' line is empty`;
    return { problem: { message, range: field.keyRange }, field };
  }
  const lead = value.length - value.trimStart().length;
  const v = value.trim();
  let cmd = v;
  let offset = lead;
  if (v.includes("`")) {
    const span = codeSpan(v);
    if (!span) {
      return {
        problem: { message: `${issue.id}'s 'Validator:' line must hold one command, alone or as one \`code span\`: prose or several commands around it cannot be run (write the steps into one script and name it here)`, range: whole },
        field,
      };
    }
    cmd = span.text;
    offset = lead + span.offset;
  }
  const r = splitArgv(cmd);
  if ("error" in r) return { problem: { message: `${issue.id}'s Validator: ${r.error}`, range: at(offset + r.at) }, field };
  return { argv: r.argv, field };
}

/** The content of a value that is exactly one code span (CommonMark: a run of N backquotes each side). */
function codeSpan(v: string): { text: string; offset: number } | undefined {
  let n = 0;
  while (v[n] === "`") n++;
  if (n === 0 || v.length <= 2 * n) return undefined;
  const fence = "`".repeat(n);
  if (!v.endsWith(fence) || v[v.length - n - 1] === "`") return undefined;
  let inner = v.slice(n, v.length - n);
  if (inner.includes("`")) return undefined;
  let offset = n;
  // CommonMark strips one space each side when both are there and the content is not all spaces.
  if (inner.length >= 2 && inner.startsWith(" ") && inner.endsWith(" ") && inner.trim() !== "") {
    inner = inner.slice(1, -1);
    offset++;
  }
  return { text: inner, offset };
}

/** How an argv is shown to a person before it runs: words with blanks or quotes are JSON-quoted. */
export function showArgv(argv: readonly string[]): string {
  return argv.map((a) => (a === "" || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a)).join(" ");
}
