// Seeded PRNG and mutations for the fuzz test (also used by scripts/bench-hostile.mjs).
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)] };
}

export const NASTY = [
  "[".repeat(80), "{".repeat(80), "- ".repeat(70) + "x", "&a ", "*a ", "<<: *a\n", "&a [*a, *a]\n", "---\n", "---json\n", "...\n",
  "\r", "\r\n", "\n\n", "\0", "\t", "\u2028", "\ufeff", "\ud800", "🙂", "é", "\u202e", "`", "``", "```\n", "~~~\n", "    ```\n",
  "| a | b |\n| --- | --- |\n", "| Case | yes |\n", "|", "<Tabs>\n", "</Tabs>\n", "<Engine\n", "/>\n", "{/* ", " */}\n", "import x from 'y'\n",
  "<!-- ", " -->", "\"", "\u201c", "'", "### CTO-WORK-999 - X\n", "Blocked by: CTO-WORK-999, CTO-WORK-001\n", "Blocked by: " + "CTO-WORK-001, ".repeat(50) + "\n",
  "- [ ] ", "- [x] ", "Default backend: Case\n", "Case is not, and never was, the default?\n", "It is not true that it isn't GA; it is.\n",
  "core_promotion_status: promoted\n", "name: [\n", "key: 'unclosed\n", ": : :\n", "? complex\n", "!!binary AAAA\n", "%YAML 1.2\n",
  "    indented code\n", "> quote Case is the default\n", "`default_engine: case`", "(((((", ")))))", ", , , ,", "; ; ;", " - ", "->",
];

export function mutate(r: ReturnType<typeof prng>, text: string): string {
  let t = text;
  const ops = 1 + r.int(4);
  for (let k = 0; k < ops; k++) {
    const at = r.int(t.length + 1);
    switch (r.int(5)) {
      case 0:
        t = t.slice(0, at) + r.pick(NASTY) + t.slice(at);
        break;
      case 1:
        t = t.slice(0, at) + t.slice(Math.min(t.length, at + r.int(200)));
        break;
      case 2: {
        const len = r.int(300);
        t = t.slice(0, at) + t.slice(at, at + len).repeat(1 + r.int(3)) + t.slice(at);
        break;
      }
      case 3:
        t = t.slice(0, at) + String.fromCharCode(r.int(0x3000)) + t.slice(at + 1);
        break;
      default:
        t = t.slice(0, at) + r.pick(NASTY).repeat(1 + r.int(40)) + t.slice(at);
    }
  }
  return t;
}

