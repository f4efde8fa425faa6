// Child process of scripts/bench.mjs: loads the extension bundle (dist/extension.js) in plain
// Node with a minimal STUB `vscode` module injected through Module._load, and times loading the
// code and calling activate(context). This measures our own code's cost against a stub API that
// does nothing: not VS Code's real activation (no extension host, no real tree views, no real
// file system provider). Prints ONE JSON object on stdout.
//
//   node scripts/bench/activation.cjs dist/extension.js [WORKSPACE_DIR]
"use strict";
const Module = require("node:module");
const path = require("node:path");
const { performance } = require("node:perf_hooks");

const [extPath, wsDir] = process.argv.slice(2);
const calls = new Map(); // API path -> count

function record(name) {
  calls.set(name, (calls.get(name) ?? 0) + 1);
}

class Disposable {
  constructor(fn) {
    this._fn = fn;
  }
  static from(...ds) {
    return new Disposable(() => ds.forEach((d) => d?.dispose?.()));
  }
  dispose() {
    this._fn?.();
  }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (l) => {
      this.listeners.add(l);
      return new Disposable(() => this.listeners.delete(l));
    };
  }
  fire(e) {
    for (const l of this.listeners) l(e);
  }
  dispose() {
    this.listeners.clear();
  }
}

function makeUri(fsPath) {
  const p = path.resolve(fsPath);
  return {
    scheme: "file",
    authority: "",
    path: p,
    fsPath: p,
    query: "",
    fragment: "",
    toString: () => `file://${p}`,
    toJSON: () => ({ scheme: "file", path: p }),
    with: (c) => makeUri(c.path ?? p),
  };
}
const Uri = {
  file: makeUri,
  parse: (s) => makeUri(s.replace(/^file:\/\//, "")),
  joinPath: (u, ...parts) => makeUri(path.join(u.fsPath, ...parts)),
  from: (c) => makeUri(c.path),
};

/**
 * A permissive stub: any property is another stub, any call records its path and returns a stub
 * (a Disposable-like, iterable-empty, non-thenable object), any `new` returns a stub.
 */
function stub(name) {
  const target = function () {};
  const cache = new Map();
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === "then" || prop === "__esModule") return undefined; // never a thenable: `await stub` must not hang
      if (prop === Symbol.iterator) return function* () {};
      if (prop === Symbol.toPrimitive) return () => 0;
      if (prop === "dispose") return () => {};
      if (prop === "length") return 0;
      if (typeof prop === "symbol") return undefined;
      if (!cache.has(prop)) cache.set(prop, stub(`${name}.${prop}`));
      return cache.get(prop);
    },
    set(_t, prop, value) {
      cache.set(prop, value);
      return true;
    },
    apply() {
      record(name);
      return stub(`${name}()`);
    },
    construct(_t, args, newTarget) {
      record(`new ${name}`);
      // An ordinary object whose prototype chain ends in a stub: subclasses keep their own
      // methods and fields, anything else reads as a stub.
      return Reflect.construct(function () {}, args, newTarget);
    },
  });
}

/** Namespaces with a few real members; everything else falls through to the stub. */
function namespace(name, members) {
  const base = stub(name);
  return new Proxy(members, {
    get(t, prop) {
      if (prop in t) return t[prop];
      return base[prop];
    },
  });
}

/**
 * The names VS Code's API exports at top level, with real enum values, read from @types/vscode.
 * They must be own properties of the module object: esbuild's CommonJS interop (__toESM)
 * copies the module's own property names, so a bare Proxy would look empty to the bundle.
 */
function apiSurface() {
  const out = { namespaces: [], classes: [], enums: {} };
  let dts;
  try {
    dts = require("node:fs").readFileSync(path.join(process.cwd(), "node_modules/@types/vscode/index.d.ts"), "utf8");
  } catch {
    // Without the types: the names our code is most likely to use.
    out.namespaces = ["commands", "window", "workspace", "languages", "env", "extensions", "tasks", "tests", "debug", "scm", "authentication", "l10n"];
    out.classes = ["Position", "Range", "Selection", "Location", "Diagnostic", "DiagnosticRelatedInformation", "CodeAction", "CodeActionKind", "WorkspaceEdit", "TextEdit", "TreeItem", "ThemeIcon", "ThemeColor", "MarkdownString", "Hover", "DocumentSymbol", "SymbolInformation", "RelativePattern", "CancellationTokenSource", "Task", "ShellExecution", "ProcessExecution", "CustomExecution", "TaskGroup"];
    for (const e of ["DiagnosticSeverity", "TreeItemCollapsibleState", "StatusBarAlignment", "SymbolKind", "TaskScope", "TaskRevealKind", "TaskPanelKind", "ProgressLocation", "ConfigurationTarget", "FileType", "ExtensionMode", "TestRunProfileKind", "ViewColumn", "EndOfLine"]) out.enums[e] = {};
    return out;
  }
  for (const m of dts.matchAll(/^\texport (namespace|class) (\w+)/gm)) (m[1] === "namespace" ? out.namespaces : out.classes).push(m[2]);
  for (const m of dts.matchAll(/^\texport enum (\w+)\s*\{([\s\S]*?)^\t\}/gm)) {
    const values = {};
    let next = 0;
    for (const line of m[2].split("\n")) {
      const mm = /^\t\t(\w+)\s*(?:=\s*([^,]+?))?\s*,?\s*$/.exec(line);
      if (!mm) continue;
      let v = next;
      if (mm[2] !== undefined) {
        const raw = mm[2].trim();
        const shift = /^(\d+)\s*<<\s*(\d+)$/.exec(raw);
        if (/^-?\d+$/.test(raw)) v = Number(raw);
        else if (shift) v = Number(shift[1]) << Number(shift[2]);
        else if (/^(['"]).*\1$/.test(raw)) v = raw.slice(1, -1);
        else v = raw;
      }
      values[mm[1]] = v;
      if (typeof values[mm[1]] === "number") {
        values[values[mm[1]]] = mm[1]; // numeric enums map back, as TypeScript's do
        next = values[mm[1]] + 1;
      }
    }
    out.enums[m[1]] = values;
  }
  return out;
}

const folders = wsDir ? [{ uri: makeUri(wsDir), name: path.basename(wsDir), index: 0 }] : [];
const configuration = { get: (_k, d) => d, has: () => false, inspect: () => undefined, update: async () => {} };
const memento = () => {
  const m = new Map();
  return { get: (k, d) => (m.has(k) ? m.get(k) : d), update: async (k, v) => void m.set(k, v), keys: () => [...m.keys()], setKeysForSync() {} };
};
const surface = apiSurface();
const vscode = { version: "1.96.0-stub" };
for (const n of surface.namespaces) vscode[n] = namespace(`vscode.${n}`, {});
for (const c of surface.classes) vscode[c] = stub(`vscode.${c}`);
for (const [e, values] of Object.entries(surface.enums)) vscode[e] = namespace(`vscode.${e}`, values);
Object.assign(vscode, {
  Uri,
  Disposable,
  EventEmitter,
  workspace: namespace("vscode.workspace", {
    workspaceFolders: folders,
    isTrusted: true,
    getConfiguration: () => (record("vscode.workspace.getConfiguration"), configuration),
    findFiles: async () => (record("vscode.workspace.findFiles"), []),
    textDocuments: [],
  }),
  window: namespace("vscode.window", { activeTextEditor: undefined, visibleTextEditors: [] }),
  env: namespace("vscode.env", { language: "en", appName: "stub", uiKind: 1 }),
});

const realLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "vscode") return vscode;
  return realLoad.call(this, request, parent, isMain);
};

(async () => {
  const out = { loaded: false, code_loading_ms: null, activate_call_ms: null, activate_resolved_ms: null, api_calls: 0, api_calls_by_name: {}, subscriptions: 0, error: null };
  try {
    const abs = path.resolve(extPath);
    const t0 = performance.now();
    const ext = require(abs);
    const t1 = performance.now();
    out.loaded = true;
    out.code_loading_ms = t1 - t0;
    if (typeof ext.activate !== "function") throw new Error("the bundle exports no activate()");
    const storage = makeUri(path.join(require("node:os").tmpdir(), "cto-bench-ext-storage"));
    const context = {
      subscriptions: [],
      extensionPath: process.cwd(),
      extensionUri: makeUri(process.cwd()),
      extensionMode: 1,
      globalState: memento(),
      workspaceState: memento(),
      secrets: { get: async () => undefined, store: async () => {}, delete: async () => {}, onDidChange: () => new Disposable() },
      storageUri: storage,
      globalStorageUri: storage,
      logUri: storage,
      storagePath: storage.fsPath,
      globalStoragePath: storage.fsPath,
      logPath: storage.fsPath,
      asAbsolutePath: (p) => path.join(process.cwd(), p),
      environmentVariableCollection: stub("context.environmentVariableCollection"),
      extension: { id: "cto-workbench.cto-workbench", extensionPath: process.cwd(), packageJSON: {} },
    };
    const t2 = performance.now();
    const ret = ext.activate(context);
    const t3 = performance.now();
    await ret;
    const t4 = performance.now();
    out.activate_call_ms = t3 - t2;
    out.activate_resolved_ms = t4 - t2;
    out.subscriptions = context.subscriptions.length;
    const api = await ret;
    if (api && typeof api.activationMs === "number") out.self_reported_activation_ms = api.activationMs;
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
  }
  out.api_calls = [...calls.values()].reduce((a, b) => a + b, 0);
  out.api_calls_by_name = Object.fromEntries([...calls].sort((a, b) => b[1] - a[1]).slice(0, 30));
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0); // the extension may have left timers or watchers behind
})();
