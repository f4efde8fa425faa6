// Helpers for integration tests running inside the VS Code extension host.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";

export const EXTENSION_ID = "cto-workbench.cto-workbench";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Activates the extension (if needed) and returns what activate() returned. */
export async function getApi<T = unknown>(): Promise<T> {
  const ext = vscode.extensions.getExtension<T>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this host`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** The first workspace folder: in tests, a fresh temp copy of fixtures/workspace. */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error("no workspace folder is open");
  return folder.uri;
}

/**
 * Polls `fn` every 100 ms until it returns something truthy, and returns that. Errors thrown by
 * `fn` count as "not yet"; the last one is quoted if time runs out.
 */
export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000, what = "condition"): Promise<T> {
  const start = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { lastError = e; }
    if (Date.now() - start >= timeoutMs) {
      const why = lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(100);
  }
}

/**
 * Resolves with the diagnostics of `uri` once `predicate` accepts them. Listens to diagnostic
 * changes and also polls, so a change that happened before the call is not missed.
 */
export async function waitForDiagnostics(uri: vscode.Uri, predicate: (d: vscode.Diagnostic[]) => boolean,
  timeoutMs = 20_000): Promise<vscode.Diagnostic[]> {
  const check = (): vscode.Diagnostic[] | undefined => {
    const d = vscode.languages.getDiagnostics(uri);
    return predicate(d) ? d : undefined;
  };
  const now = check();
  if (now) return now;
  let sub: vscode.Disposable | undefined;
  const onChange = new Promise<vscode.Diagnostic[]>((resolve) => {
    sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const d = check();
      if (d) resolve(d);
    });
  });
  try {
    return await Promise.race([onChange, waitFor(check, timeoutMs,
      `diagnostics on ${vscode.workspace.asRelativePath(uri)} (now: ${describe(vscode.languages.getDiagnostics(uri))})`)]);
  } finally {
    sub?.dispose();
  }
}

function describe(diags: vscode.Diagnostic[]): string {
  return diags.length === 0 ? "none" : diags.map((d) => `${d.range.start.line + 1}: ${d.message}`).join("; ");
}

/** Where screenshots go, or undefined when this host cannot take them (desktop VS Code). */
export function screenshotDir(): string | undefined {
  return process.env.CTO_SCREENSHOT_DIR || undefined;
}

/**
 * Captures the whole workbench to `<screenshotDir>/<name>.png` and returns the path. The runner's
 * browser driver takes the picture when it sees the protocol line; we wait until the file exists.
 * Without a screenshot folder it logs why and returns undefined instead of failing the test.
 */
export async function screenshot(name: string, timeoutMs = 20_000): Promise<string | undefined> {
  const dir = screenshotDir();
  if (!dir) {
    console.log(`screenshot "${name}" skipped: CTO_SCREENSHOT_DIR is not set (only the code-server host captures the workbench)`);
    return undefined;
  }
  const file = path.join(dir, `${name.replace(/[^\w.-]+/g, "-")}.png`);
  fs.rmSync(file, { force: true });
  await sleep(300); // let the last UI change paint
  console.log(`__VSCODE_SCREENSHOT__ ${file}`);
  await waitFor(() => fs.existsSync(file), timeoutMs, `screenshot ${file} from the driver`);
  return file;
}

let requestSeq = 0;
/** Asks the runner's browser driver (code-server host only) and waits for its answer file. */
async function askDriver(kind: "DOM" | "KEYS", request: Record<string, unknown>, timeoutMs: number): Promise<string> {
  const dir = screenshotDir();
  if (!dir) throw new Error(`this host has no browser driver (CTO_SCREENSHOT_DIR unset): cannot ${kind === "DOM" ? "read the workbench" : "type"}`);
  const out = path.join(dir, `.driver-${process.pid}-${++requestSeq}.answer`);
  fs.rmSync(out, { force: true });
  console.log(`__CTO_${kind}__ ${JSON.stringify({ ...request, out })}`);
  await waitFor(() => fs.existsSync(out), timeoutMs, `the driver's answer to ${kind} ${JSON.stringify(request)}`);
  const text = fs.readFileSync(out, "utf8");
  fs.rmSync(out, { force: true });
  return text;
}

/** The workbench's elements matching a CSS selector: text and the asked attributes. */
export async function queryWorkbench(selector: string, attrs: string[] = [], timeoutMs = 20_000): Promise<{ text: string; attrs: Record<string, string | null> }[]> {
  return JSON.parse(await askDriver("DOM", { selector, attrs }, timeoutMs));
}

/**
 * Clicks and types in the workbench as a person would: each `click` selector in turn (Playwright
 * selectors, e.g. `.monaco-button:has-text("Run")`), then, once `waitFor` is visible, the text and keys.
 */
export async function typeInWorkbench(opts: { click?: string[]; waitFor?: string; waitForState?: "visible" | "attached"; text?: string; press?: string[] }, timeoutMs = 30_000): Promise<void> {
  const r = await askDriver("KEYS", opts, timeoutMs);
  if (r !== "ok") throw new Error(`typing failed: ${r}`);
}
