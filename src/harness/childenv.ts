// The environments children get. Never the caller's whole environment: a
// secret in it (a cloud token, the CI's signing key path) must not reach an
// engine, and least of all the tests, which run code the engine may have
// written. Each child gets an allow-list, its own HOME/XDG/TMPDIR inside the
// sandbox, and — for the engine only — the variables its adapter declares
// (provider credentials) or the caller passes explicitly (`--pass-env`).

/** Harmless, locale and terminal variables every child may keep. */
export const SAFE_ENV = ["PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "TZ", "TERM", "NO_COLOR", "FORCE_COLOR", "CI"];

/** A sane PATH when the caller has none. */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

export function pick(env: NodeJS.ProcessEnv, names: readonly string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const n of names) if (env[n] !== undefined) out[n] = env[n];
  return out;
}

/** The allow-list plus a home: HOME and the XDG folders below it, TMPDIR elsewhere. */
export function homeEnv(caller: NodeJS.ProcessEnv, home: string, tmp: string): NodeJS.ProcessEnv {
  return {
    ...pick(caller, SAFE_ENV),
    PATH: caller.PATH || DEFAULT_PATH,
    HOME: home,
    USER: "cto-sandbox",
    LOGNAME: "cto-sandbox",
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_CACHE_HOME: `${home}/.cache`,
    XDG_DATA_HOME: `${home}/.local/share`,
    XDG_STATE_HOME: `${home}/.local/state`,
    TMPDIR: tmp,
  };
}
