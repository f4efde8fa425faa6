// `cto lexicon explain "SENTENCE"`: how the drift detector reads a sentence — the lexicon entries
// each word matched, the clauses, every claim frame that matched and the rule that accepted it
// or found drift. For people extending .cto/lexicon.yaml.
import * as path from "node:path";
import { explainSentence, renderExplanation } from "../../core/drift";
import { findRootAbove, nodeFs, readText } from "../../core";
import { compileLexicon, defaultLexiconSpec, getDefaultLexicon, mergeLexicon, type Lexicon } from "../../core/lexicon";
import { LEXICON_FILE } from "../../core/workspace";
import { parseCommandArgs, UsageError, type CliIo } from "../io";

const HELP = `usage: cto lexicon explain "SENTENCE" [options]

Shows how the authority-drift and readiness-claim rules read SENTENCE: the lexicon classes of
each word, the clauses, each claim frame that matched, and the rule that accepted it or found
drift.

options:
  --workspace DIR    use the lexicon of the CTO workspace at or above DIR (its .cto/lexicon.yaml)
  --lexicon FILE     merge this lexicon file over the built-in one instead
  --json             print the explanation as JSON
  -h, --help         this help

exit: 0 no drift, 1 drift, 2 usage or a broken lexicon`;

export default async function lexicon(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      workspace: { type: "string" },
      lexicon: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    HELP,
  );
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const [sub, ...rest] = positionals;
  if (sub !== "explain") throw new UsageError(`${sub === undefined ? "a subcommand is needed" : `unknown subcommand '${sub}'`}\n${HELP}`);
  if (rest.length === 0 || rest.join(" ").trim() === "") throw new UsageError(`explain needs a sentence\n${HELP}`);
  const sentence = rest.join(" ");
  let lex: Lexicon = getDefaultLexicon();
  let file: string | undefined;
  if (values.lexicon !== undefined) file = path.resolve(io.cwd, values.lexicon);
  else if (values.workspace !== undefined) {
    const root = await findRootAbove(path.resolve(io.cwd, values.workspace), nodeFs);
    if (!root) throw new UsageError(`no CTO workspace (WORKBOARD.yaml) at or above ${values.workspace}`);
    file = path.join(root, LEXICON_FILE);
  }
  if (file !== undefined) {
    const text = await readText(nodeFs, file);
    if (text === undefined && values.lexicon !== undefined) throw new UsageError(`cannot read the lexicon ${values.lexicon}`);
    if (text !== undefined) {
      const merged = mergeLexicon(defaultLexiconSpec(), text);
      for (const p of merged.problems) io.err(`${path.relative(io.cwd, file) || file}:${p.line}:${p.column}: lexicon: ${p.message}`);
      if (merged.problems.length > 0) return 2;
      lex = compileLexicon(merged.spec);
    }
  }
  const ex = explainSentence(sentence, lex);
  if (values.json) io.out(JSON.stringify(ex, (k, v) => (k === "claim" ? { id: v.id, kind: v.kind, rule: v.rule } : v), 2));
  else io.out(renderExplanation(ex).trimEnd());
  return ex.some((e) => e.drift) ? 1 : 0;
}
