// Isolation: what a child can see and do inside the sandbox, run for real
// through bubblewrap (as root in CI: the hostile cases that escaped before).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { installationOf, nodeModulesRoot, shebangInterpreter } from "../../../src/harness/installation";
import { isRoot, planIsolation, resetIsolationProbe, SANDBOX_UID, wrapCommand, type IsolationPlan } from "../../../src/harness/isolation";

const plan: IsolationPlan = planIsolation("auto");

function inSandbox(script: string, view: { writable?: string[]; readOnly?: string[]; network?: boolean; cwd?: string } = {}) {
  const w = wrapCommand(plan, ["/bin/sh", "-c", script], { writable: view.writable ?? [], readOnly: view.readOnly ?? [], network: view.network ?? false, cwd: view.cwd ?? "/" });
  return spawnSync(w.argv[0]!, w.argv.slice(1), { encoding: "utf8", uid: w.uid, gid: w.gid, env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" }, timeout: 20_000 });
}

describe("harness: isolation", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cto-iso-"));
    chmodSync(dir, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe("with bubblewrap", function () {
    before(function () {
      if (plan.kind !== "bubblewrap") this.skip();
    });

    it("drops every capability and, as root, runs as the unprivileged uid", () => {
      const r = inSandbox("id -u; grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status");
      assert.equal(r.status, 0, r.stderr);
      const [uid, ...caps] = r.stdout.trim().split("\n");
      if (isRoot()) assert.equal(Number(uid), SANDBOX_UID);
      for (const c of caps) assert.match(c, /:\s*0+$/, c);
    });

    it("a root engine's `umount /tmp; mount -o remount,rw /` writes nothing outside the sandbox", () => {
      const marker = join(dir, "escaped");
      // Names of their own: an escape must fail this run, not every later one.
      const atUsr = `/usr/escaped-cto-${process.pid}-${Date.now()}`;
      const atRoot = `/escaped-cto-${process.pid}-${Date.now()}`;
      const r = inSandbox(`umount -l /tmp; mount -o remount,bind,rw /; mount -o remount,rw /usr; touch ${marker} ${atUsr} ${atRoot}; unshare -Ur sh -c 'umount -l /tmp; touch ${marker}'; echo done`);
      assert.match(r.stdout, /done/);
      assert.equal(existsSync(marker), false, "wrote through to the host");
      const escaped = [atUsr, atRoot].filter((p) => existsSync(p));
      for (const p of escaped) rmSync(p, { force: true });
      assert.deepEqual(escaped, [], "the child wrote on the host");
    });

    it("/proc shows the sandbox's processes only, even after unmounting it", () => {
      const r = inSandbox("umount -l /proc 2>/dev/null; ls /proc | grep -c '^[0-9]'");
      assert.ok(Number(r.stdout.trim()) <= 4, `saw ${r.stdout.trim()} processes`);
      assert.equal(inSandbox(`test -e /proc/${process.pid}/cmdline && cat /proc/${process.pid}/cmdline`).stdout.includes("node"), false);
    });

    it("the user's home is not there; only the sandbox folders are writable", () => {
      const home = process.env.HOME || homedir();
      const work = join(dir, "work");
      mkdirSync(work);
      if (isRoot()) spawnSync("chown", [`${SANDBOX_UID}:${SANDBOX_UID}`, work]);
      const r = inSandbox(`ls -A ${home} 2>/dev/null | wc -l; touch /usr/x 2>/dev/null || echo ro-usr; touch /etc/x 2>/dev/null || echo ro-etc; touch ${work}/ok && echo rw-work`, { writable: [work], cwd: work });
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines[0], "0", `the home folder ${home} is visible inside`);
      assert.deepEqual(lines.slice(1), ["ro-usr", "ro-etc", "rw-work"], r.stderr);
      assert.ok(existsSync(join(work, "ok")));
    });

    it("a secret beside an exposed program stays hidden; the program itself is visible", () => {
      const bin = join(dir, "bin");
      mkdirSync(bin);
      writeFileSync(join(bin, "tool"), "#!/bin/sh\necho tool-ran\n", { mode: 0o755 });
      writeFileSync(join(bin, "secret"), "s3cr3t\n", { mode: 0o644 });
      const inst = installationOf(join(bin, "tool"), process.env);
      assert.deepEqual(inst.paths, [join(bin, "tool")]);
      const r = inSandbox(`${join(bin, "tool")}; cat ${join(bin, "secret")} 2>&1 || true`, { readOnly: inst.paths });
      assert.match(r.stdout, /tool-ran/);
      assert.doesNotMatch(r.stdout, /s3cr3t/);
    });

    it("root-only files of the system view stay unreadable (as root, the child is unprivileged)", function () {
      if (!isRoot() || !existsSync("/etc/shadow")) this.skip();
      const r = inSandbox("cat /etc/shadow >/dev/null 2>&1 && echo readable || echo denied");
      assert.equal(r.stdout.trim(), "denied");
    });

    it("the network is gone unless asked for", () => {
      const r = inSandbox("cat /proc/net/dev | grep -c ':'");
      assert.equal(r.stdout.trim(), "1", "only lo is expected without network");
    });
  });

  describe("without bubblewrap", () => {
    it("CTO_BWRAP='' plans no isolation; as root the child still runs as the unprivileged uid", () => {
      resetIsolationProbe();
      const p = planIsolation("auto", { CTO_BWRAP: "" });
      assert.equal(p.kind, "none");
      const w = wrapCommand(p, ["node", "x.js"], { writable: ["/w"], readOnly: [], network: false, cwd: "/w" });
      assert.deepEqual(w.argv, ["node", "x.js"]);
      if (isRoot()) assert.deepEqual([w.uid, w.gid], [SANDBOX_UID, SANDBOX_UID]);
      else assert.equal(w.uid, undefined);
    });
  });

  describe("a program's installation", () => {
    it("a .bin link resolves to its package, and the whole node_modules tree is exposed", () => {
      const nm = join(dir, "proj", "node_modules");
      mkdirSync(join(nm, ".bin"), { recursive: true });
      mkdirSync(join(nm, "tool", "bin"), { recursive: true });
      writeFileSync(join(nm, "tool", "bin", "cli.js"), "#!/usr/bin/env node\n", { mode: 0o755 });
      spawnSync("ln", ["-s", "../tool/bin/cli.js", join(nm, ".bin", "tool")]);
      assert.equal(nodeModulesRoot(join(nm, "tool", "bin", "cli.js")), nm);
      const inst = installationOf(join(nm, ".bin", "tool"), process.env);
      assert.ok(inst.paths.includes(nm), JSON.stringify(inst));
      assert.ok(shebangInterpreter(join(nm, "tool", "bin", "cli.js"), process.env)?.endsWith("/node"));
    });

    it("never exposes a folder holding the user's home or the evidence", () => {
      const nm = join(dir, "node_modules");
      mkdirSync(join(nm, "x"), { recursive: true });
      writeFileSync(join(nm, "x", "p"), "", { mode: 0o755 });
      const inst = installationOf(join(nm, "x", "p"), process.env, [join(nm, "x", "evidence")]);
      assert.deepEqual(inst.paths, []);
      assert.match(inst.refused[0]!.reason, /evidence/);
      assert.ok(readFileSync(join(nm, "x", "p"), "utf8") === "");
    });
  });
});
