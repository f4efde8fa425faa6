// `cto` entry point: a small table of subcommands over the pure core.
import { nodeIo, UsageError, type CliCommand, type CliIo } from "./io";
import { VERSION_STRING } from "./version";

const COMMANDS: Record<string, { summary: string; load: () => Promise<CliCommand> }> = {
  init: { summary: "start a CTO child workspace: WORKBOARD.yaml, .cto/config.yaml, --ci github workflow (never overwrites)", load: async () => (await import("./commands/init")).default },
  validate: { summary: "validate planning docs (exit 0 clean, 1 errors, 2 usage)", load: async () => (await import("./commands/validate")).default },
  issues: { summary: "the CTO-WORK issue graph: status, blockers, unblocks, cycles", load: async () => (await import("./commands/issues")).default },
  gates: { summary: "stage gate states, reasons and missing evidence", load: async () => (await import("./commands/gates")).default },
  run: { summary: "run an engine on a task in a sandbox; write an evidence bundle (exit 0 pass, 10-25 blocker)", load: async () => (await import("./commands/run")).default },
  verify: { summary: "verify an evidence bundle and its signature (exit 0 verified, 3 tampered, 4 stale, 5 unsigned, 6 untrusted signer, 2 usage)", load: async () => (await import("./commands/verify")).default },
  key: { summary: "key show: this machine's public signing key, as a .cto/trusted-keys line", load: async () => (await import("./commands/key")).default },
  fixtures: { summary: "run the failure fixture matrix against its planning doc (exit 0 every row matches, 1 not, 2 usage)", load: async () => (await import("./commands/fixtures")).default },
  lexicon: { summary: "lexicon explain \"SENTENCE\": how the drift rules read a sentence (exit 0 no drift, 1 drift, 2 usage)", load: async () => (await import("./commands/lexicon")).default },
  done: { summary: "run an issue's Validator: in the sandbox; write its signed done record (exit 0 recorded, 3-7 why not, 2 usage)", load: async () => (await import("./commands/done")).default },
  engines: { summary: "each engine on this machine: CLI found, version, config source, starts in the isolation, gating (exit 0 ok, 1 not, 2 usage)", load: async () => (await import("./commands/engines")).default },
  compare: { summary: "compare engines side by side on a task set; a signed comparison (--shard K/N, --merge DIR...) (exit 0 written, 1 not made, 2 usage)", load: async () => (await import("./commands/compare")).default },
  // Issue 12 (gates): a person's review of a patch; throwaway repos for disposable-sandbox-repo.
  review: { summary: "record a person's review of a bundle's patch, signed, beside the bundle (exit 0 recorded)", load: async () => (await import("./commands/review")).default },
  "sandbox-repo": { summary: "sandbox-repo create: a throwaway git repo from a task's repo (for cto run --sandbox-repo)", load: async () => (await import("./commands/sandboxRepo")).default },
};

const USAGE = () =>
  [
    "usage: cto <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    "",
    "Run `cto <command> --help` for a command's options.",
  ].join("\n");

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    io.out(USAGE());
    return name ? 0 : 2;
  }
  if (name === "--version") {
    io.out(VERSION_STRING);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`cto: unknown command '${name}'\n${USAGE()}`);
    return 2;
  }
  try {
    return await (await cmd.load())(rest, io);
  } catch (e) {
    // node:util parseArgs rejects unknown or malformed options: that is usage, not a crash.
    const parseArgsError = typeof (e as { code?: unknown })?.code === "string" && (e as { code: string }).code.startsWith("ERR_PARSE_ARGS");
    if (e instanceof UsageError || parseArgsError) {
      io.err(`cto ${name}: ${(e as Error).message}${parseArgsError ? `\nRun \`cto ${name} --help\` for its options.` : ""}`);
      return 2;
    }
    io.err(`cto ${name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    // The harness commands promise exit 1 for an internal error (never a pass); the others use 2.
    return ["run", "fixtures", "compare", "done", "review", "sandbox-repo"].includes(name) ? 1 : 2;
  }
}


if (require.main === module) {
  main(process.argv.slice(2), nodeIo()).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(String(e) + "\n");
      process.exitCode = 2;
    },
  );
}
