// The harness commands' view of a workspace's .cto/config.yaml: the evidence and fixtures
// folders. A config with problems stops them (exit 2, each problem located): runs must not
// land somewhere a broken file only seemed to say.
import * as path from "node:path";
import { CONFIG_FILE, configFolder, emptyConfig, nodeFs, parseConfig, readConfigFile, type CtoConfig } from "../core";
import { packageFixturesDir } from "../harness";
import { UsageError } from "./io";

export async function workspaceConfig(root: string, cwd: string): Promise<CtoConfig> {
  const text = await readConfigFile(nodeFs, root);
  const file = path.relative(cwd, path.join(root, CONFIG_FILE)) || CONFIG_FILE;
  if (text === undefined) return emptyConfig();
  if (typeof text !== "string") throw new UsageError(`${file}:1:1: ${text.unreadable}`);
  const { config, problems } = parseConfig(text);
  if (problems.length > 0) throw new UsageError(problems.map((p) => `${file}:${p.range.line}:${p.range.column}: error config ${p.message}`).join("\n"));
  return config;
}

/** `<root>/<evidenceFolder>` (default .cto/runs). */
export function evidenceDirOf(root: string, config: CtoConfig): string {
  return configFolder(root, config.evidenceFolder, ".cto/runs");
}

/** `<root>/<fixturesFolder>`, or the fixtures shipped with CTO Workbench. */
export function fixturesDirOf(root: string, config: CtoConfig): string {
  return config.fixturesFolder ? configFolder(root, config.fixturesFolder, "") : packageFixturesDir();
}
