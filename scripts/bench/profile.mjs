// Summarizes a V8 .cpuprofile into hot spots named `source-file:function (line)`, mapping the
// bench's core bundle (out/bench/core.js) back to src/ and node_modules/ through its source map.
//
//   node scripts/bench/profile.mjs PROFILE.cpuprofile [BUNDLE.js] [--top 15]
import { existsSync, readFileSync } from "node:fs";
import { basename, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes a source map's `mappings` into per-generated-line segment arrays [genCol, src, line]. */
function decodeMappings(mappings) {
  const lines = [];
  let src = 0;
  let origLine = 0;
  let origCol = 0;
  for (const lineText of mappings.split(";")) {
    const segs = [];
    let genCol = 0;
    for (const seg of lineText.split(",")) {
      if (seg === "") continue;
      const vals = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64_INDEX.get(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          vals.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += vals[0];
      if (vals.length >= 4) {
        src += vals[1];
        origLine += vals[2];
        origCol += vals[3];
        segs.push([genCol, src, origLine]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

/** Returns (url, line0, col0) → {file, line} or undefined, for one bundle with a .map beside it. */
function bundleMapper(bundlePath) {
  const mapPath = `${bundlePath}.map`;
  if (!bundlePath || !existsSync(mapPath)) return () => undefined;
  const map = JSON.parse(readFileSync(mapPath, "utf8"));
  const lines = decodeMappings(map.mappings);
  const sources = map.sources.map((s) => s.replace(/^(\.\.\/)+/, ""));
  const bundleUrl = pathToFileURL(bundlePath).href;
  return (url, line0, col0) => {
    if (url !== bundleUrl && url !== bundlePath) return undefined;
    const segs = lines[line0];
    if (!segs || segs.length === 0) return undefined;
    let best = segs[0];
    for (const s of segs) if (s[0] <= col0) best = s;
    return { file: sources[best[1]], line: best[2] + 1 };
  };
}

/**
 * Hot spots of a profile: self time and total (inclusive) time per function, in ms.
 * @returns {{ duration_ms: number, self: {name: string, ms: number, pct: number}[], total: {name: string, ms: number, pct: number}[] }}
 */
export function summarizeProfile(profilePath, bundlePath, top = 15) {
  const profile = JSON.parse(readFileSync(profilePath, "utf8"));
  const map = bundleMapper(bundlePath);
  const cwd = process.cwd();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const duration = (profile.endTime - profile.startTime) / 1000;
  // Self time per node from the samples and their time deltas.
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  }
  const keyOf = (n) => {
    const cf = n.callFrame;
    const fn = cf.functionName || "(anonymous)";
    if (!cf.url) return fn; // (garbage collector), (program), (idle), natives
    const m = map(cf.url, cf.lineNumber, cf.columnNumber);
    if (m) return `${m.file}:${fn} (line ${m.line})`;
    let file = cf.url.startsWith("file://") ? fileURLToPath(cf.url) : cf.url;
    if (file.startsWith(cwd)) file = relative(cwd, file);
    else if (file.startsWith("node:")) file = file;
    else file = basename(file);
    return `${file}:${fn} (line ${cf.lineNumber + 1})`;
  };
  const self = new Map();
  const total = new Map();
  const children = new Map(profile.nodes.map((n) => [n.id, n.children ?? []]));
  // Inclusive time, counting a function once per stack even when it recurses.
  const visit = (id, onStack) => {
    const n = byId.get(id);
    const key = keyOf(n);
    let sum = selfUs.get(id) ?? 0;
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    for (const c of children.get(id)) sum += visit(c, onStack);
    if (fresh) {
      onStack.delete(key);
      total.set(key, (total.get(key) ?? 0) + sum);
    }
    self.set(key, (self.get(key) ?? 0) + (selfUs.get(id) ?? 0));
    return sum;
  };
  visit(profile.nodes[0].id, new Set());
  const skip = new Set(["(root)", "(idle)", "(program)"]);
  const list = (m) =>
    [...m]
      .filter(([k]) => !skip.has(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 10) / 100, pct: Math.round((us / 1000 / duration) * 1000) / 10 }));
  return { duration_ms: Math.round(duration * 100) / 100, self: list(self), total: list(total) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf("--top");
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 15;
  const [prof, bundle] = args;
  if (!prof) {
    process.stderr.write("usage: node scripts/bench/profile.mjs PROFILE.cpuprofile [BUNDLE.js] [--top N]\n");
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(summarizeProfile(prof, bundle, top), null, 2)}\n`);
}
