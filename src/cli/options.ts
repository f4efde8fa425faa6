// Options several commands share, resolved and checked the same way everywhere.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError, type CliIo } from "./io";

/** `--workspace DIR`, resolved against the cwd; a usage error unless it is a folder. */
export function workspaceOption(io: CliIo, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const root = resolve(io.cwd, value);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`--workspace ${value} is not a folder`);
  return root;
}

/** `--trusted-keys FILE` (repeatable), resolved against the cwd; a usage error for a missing file. */
export function trustedKeysOption(io: CliIo, values: string[] | undefined): string[] {
  const files = (values ?? []).map((f) => resolve(io.cwd, f));
  for (const f of files) if (!existsSync(f)) throw new UsageError(`--trusted-keys ${f} does not exist`);
  return files;
}
