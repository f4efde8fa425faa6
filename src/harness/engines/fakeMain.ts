// The fake engine's program. It runs as a real child process (so timeouts,
// process-group kills and isolation are real) via `node -e`, from the source of
// this one function: it must stay self-contained — no imports, no outside
// names, only `require` of Node built-ins inside the body.
//
// Protocol (JSON lines):
//   stdout  {"kind":"event","type":T,"data":D}
//           {"kind":"file","action":"write|delete|symlink","path":P,"ok":true|false,"error"?:E}
//           {"kind":"approval_request","id":"a1","action":A}
//           {"kind":"finish","exit":N}
//   stdin   {"id":"a1","decision":"grant"|"deny"}
// The scenario is a JSON file named by the CTO_FAKE_SCENARIO_FILE environment
// variable (a file in the run's inputs folder: no size cap but the task file's).
export function fakeEngineMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const cp = require("node:child_process") as typeof import("node:child_process");
  const out = (o: unknown) => fs.writeSync(1, JSON.stringify(o) + "\n");
  const steps = JSON.parse(fs.readFileSync(process.env.CTO_FAKE_SCENARIO_FILE as string, "utf8")) as Record<string, any>[];

  // Approval replies arrive on stdin, one JSON line each.
  const waiting = new Map<string, (d: string) => void>();
  let stdinBuf = "";
  let stdinClosed = false;
  if (steps.some((s) => "approval" in s)) {
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => {
      stdinBuf += chunk;
      let i;
      while ((i = stdinBuf.indexOf("\n")) >= 0) {
        const line = stdinBuf.slice(0, i);
        stdinBuf = stdinBuf.slice(i + 1);
        try {
          const m = JSON.parse(line);
          waiting.get(m.id)?.(m.decision);
          waiting.delete(m.id);
        } catch {
          /* ignore */
        }
      }
    });
    process.stdin.on("end", () => {
      stdinClosed = true;
      for (const [, f] of waiting) f("deny");
      waiting.clear();
    });
  }

  const fileOp = (action: string, p: string, fn: () => void) => {
    try {
      fn();
      out({ kind: "file", action, path: p, ok: true });
    } catch (e) {
      out({ kind: "file", action, path: p, ok: false, error: (e as Error).message });
    }
  };

  const main = async () => {
    let exitCode = 0;
    let finish = true;
    let n = 0;
    for (const step of steps) {
      if ("write" in step) {
        const p = step.write.path as string;
        fileOp("write", p, () => {
          fs.mkdirSync(path.dirname(path.resolve(p)), { recursive: true });
          fs.writeFileSync(p, step.write.content as string);
        });
      } else if ("delete" in step) {
        const p = step.delete.path as string;
        fileOp("delete", p, () => fs.rmSync(p, { recursive: true }));
      } else if ("symlink" in step) {
        const p = step.symlink.path as string;
        fileOp("symlink", p, () => fs.symlinkSync(step.symlink.target as string, p));
      } else if ("approval" in step) {
        const id = `a${++n}`;
        const decision = await new Promise<string>((resolve) => {
          if (stdinClosed) return resolve("deny");
          waiting.set(id, resolve);
          out({ kind: "approval_request", id, action: step.approval.action });
        });
        out({ kind: "event", type: "engine.message", data: { text: `approval ${id} ${decision === "grant" ? "granted" : "denied"} by the harness; ${decision === "grant" ? "proceeding" : "skipping"}` } });
      } else if ("emit" in step) {
        out({ kind: "event", type: step.emit.type, data: step.emit.data ?? {} });
      } else if ("sleep_ms" in step) {
        await new Promise((r) => setTimeout(r, step.sleep_ms as number));
      } else if ("spawn" in step) {
        // Stays in our process group: proves that a kill reaches grandchildren.
        const argv = step.spawn.command as string[];
        const child = cp.spawn(argv[0]!, argv.slice(1), { stdio: "ignore" });
        child.on("error", () => {});
        out({ kind: "event", type: "engine.spawned", data: { pid: child.pid, command: argv } });
      } else if ("crash" in step) {
        process.kill(process.pid, "SIGKILL");
        await new Promise(() => {});
      } else if ("exit" in step) {
        exitCode = step.exit as number;
        break;
      } else if ("omit_finish" in step) {
        finish = false;
      }
    }
    if (finish) out({ kind: "finish", exit: exitCode });
    process.exit(exitCode);
  };
  void main();
}
