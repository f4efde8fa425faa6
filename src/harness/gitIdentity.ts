// Who a person is, as git knows them: `user.name` and `user.email` from the user's GLOBAL git
// config (what `git config --global` reads: ~/.gitconfig or $XDG_CONFIG_HOME/git/config), never a
// repo's config. Git runs from a harness-owned empty folder (no repo to discover), with the system
// config off and a minimal environment, so nothing a repo configures is read or run.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

export interface GitIdentity {
  name?: string;
  email?: string;
}

export async function readGitIdentity(env: NodeJS.ProcessEnv = process.env): Promise<GitIdentity> {
  const cwd = mkdtempSync(join(tmpdir(), "cto-git-id-"));
  const childEnv: NodeJS.ProcessEnv = {
    PATH: env.PATH,
    HOME: env.HOME || homedir(),
    ...(env.XDG_CONFIG_HOME ? { XDG_CONFIG_HOME: env.XDG_CONFIG_HOME } : {}),
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CEILING_DIRECTORIES: tmpdir(),
  };
  const get = (key: string) =>
    new Promise<string | undefined>((resolve) => {
      execFile("git", ["config", "--global", "--get", key], { cwd, env: childEnv, timeout: 5000, maxBuffer: 64 * 1024 }, (err, stdout) => {
        const v = String(stdout ?? "").trim();
        resolve(err || !v || /[\u0000-\u001f]/.test(v) ? undefined : v.slice(0, 254));
      });
    });
  try {
    const [name, email] = await Promise.all([get("user.name"), get("user.email")]);
    return { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
