import { parseArgs, type ParseArgsConfig } from "node:util";

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;

// The CLI's seam to the outside world: output streams and environment are passed in,
// so tests call commands in-process exactly as the binary does.

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  cwd: string;
  env: Record<string, string | undefined>;
}

/** A CLI command: parses its own args, returns the process exit code. */
export type CliCommand = (args: string[], io: CliIo) => Promise<number>;

/** Thrown for bad usage; main prints the message and exits 2. */
export class UsageError extends Error {}

export function nodeIo(): CliIo {
  return {
    out: lineWriter(process.stdout),
    err: lineWriter(process.stderr),
    cwd: process.cwd(),
    env: process.env,
  };
}

/**
 * Writes lines to a process stream whose reader may go away (`cto run … | head -1`):
 * EPIPE (or any write error) closes it quietly and later lines are dropped. The
 * command itself goes on (a run still writes its bundle) and its exit code stands.
 */
export function lineWriter(stream: NodeJS.WritableStream & { destroyed?: boolean }): (line: string) => void {
  let closed = false;
  stream.on("error", () => {
    closed = true;
  });
  return (line) => {
    if (closed || stream.destroyed) return;
    try {
      stream.write(line + "\n");
    } catch {
      closed = true;
    }
  };
}

/** Parses a command's options; a bad option is a usage error followed by the command's help. */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(args: string[], options: O, help: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${help}`);
  }
}
