// One LogOutputChannel for the extension; errors reveal it once, without stealing focus.
import * as vscode from "vscode";

export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel("CTO Workbench", { log: true });
  private revealed = false;

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string, err?: unknown): void {
    this.channel.error(err === undefined ? message : `${message}: ${describeError(err)}`);
    if (!this.revealed) {
      this.revealed = true;
      this.channel.show(true);
    }
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

/** Message, stack and `cause` chain of an error. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  }
  return parts.join("\ncaused by: ");
}
