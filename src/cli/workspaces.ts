// Loading the workspaces a CLI command names (a folder: every workspace at, below or above it),
// with their done records read and verified (issue status depends on them).
import * as path from "node:path";
import { discoverWorkspaces, loadWorkspace, nodeFs, type CtoWorkspace } from "../core";
import { attachDoneRecords } from "../harness/doneRecord";
import { UsageError } from "./io";

export async function loadWorkspacesAt(cwd: string, target = ".", env: NodeJS.ProcessEnv = process.env): Promise<CtoWorkspace[]> {
  const abs = path.resolve(cwd, target);
  const st = await nodeFs.stat(abs);
  if (!st) throw new UsageError(`no such folder: ${abs}`);
  if (st.type !== "directory") throw new UsageError(`not a folder: ${abs}`);
  const found = await discoverWorkspaces(abs, nodeFs);
  if (found.length === 0) throw new UsageError(`no CTO child workspace (WORKBOARD.yaml) at, below or above ${abs}`);
  const list = await Promise.all(found.map((f) => loadWorkspace(f, nodeFs)));
  for (const ws of list) attachDoneRecords(ws, env);
  return list;
}
