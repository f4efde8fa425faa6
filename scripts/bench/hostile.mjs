// The hostile inputs of issue 10 ("fail closed, stay linear"), one workspace each under DIR/<case>/:
// a 5,000-issue cycle, 2,000 issues each blocked by the 50 before, a broken 260 KB lexicon, alias
// bombs and deep nesting in the lexicon, WORKBOARD.yaml and frontmatter, 20,000 anchors, planning
// docs with a NUL byte or padded past 2 MB, a doc 45 folders deep, symlinks in and out, lone-CR
// line ends, a ---json fence. Used by scripts/bench-hostile.mjs (and `node scripts/bench/hostile.mjs DIR`).
import { mkdirSync, writeFileSync, symlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
export function generateHostile(dir) {
  rmSync(dir, { recursive: true, force: true });
  const FM = (name, extra = "") => `---\nname: ${name}\ntier: local\nstatus: draft\ncreated: 2026-05-01\nlast_reviewed: 2026-05-01\nlifecycle_classification: planning\ncore_promotion_status: not-promoted\n${extra}---\n\n# T\n\nLocal planning SOT only. Not a Core Protocol. Not active Core authority.\n\n`;
  const issue = (id, blocked) => `### ${id} - X\n\nType: AFK\n\nBlocked by: ${blocked}\n\nWhat to build: x.\n\n- [ ] done\n\nAllowed files: x\n\nValidator: x\n\nDone evidence: x\n\n`;
  const ws = (name, files) => { const root = join(dir, name); for (const [p, t] of Object.entries(files)) { mkdirSync(join(root, p, ".."), { recursive: true }); writeFileSync(join(root, p), t); } return root; };
  const pad = (n) => String(n).padStart(4, "0");
  // cycle of 5000
  { let t = FM("cycle"); for (let i = 1; i <= 5000; i++) t += issue(`CTO-WORK-${pad(i)}`, `CTO-WORK-${pad(i === 5000 ? 1 : i + 1)}`); ws("cycle5000", { "WORKBOARD.yaml": "docs:\n  - path: a.md\n", "a.md": t }); }
  // 2000 each blocked by the 50 before
  { let t = FM("dense"); for (let i = 1; i <= 2000; i++) { const b = []; for (let j = Math.max(1, i - 50); j < i; j++) b.push(`CTO-WORK-${pad(j)}`); t += issue(`CTO-WORK-${pad(i)}`, b.length ? b.join(", ") : "None"); } ws("dense2000", { "WORKBOARD.yaml": "docs:\n  - path: a.md\n", "a.md": t }); }
  // broken 260 KB lexicon
  { let l = "claims:\n"; while (l.length < 260 * 1024) l += "  - id: x\n    phrases: [\"a\", \"b\"\n  - : : [\n"; ws("badlexicon", { "WORKBOARD.yaml": "docs: []\n", ".cto/lexicon.yaml": l, "a.md": FM("a") }); }
  // alias bombs
  const bomb = (() => { let b = "a: &a [x, x, x, x, x, x, x, x, x]\n"; const L = "abcdefghij"; for (let i = 1; i < 10; i++) b += `${L[i]}: &${L[i]} [${Array(9).fill("*" + L[i - 1]).join(", ")}]\n`; return b; })();
  ws("bomb-lexicon", { "WORKBOARD.yaml": "docs: []\n", ".cto/lexicon.yaml": bomb, "a.md": FM("a") });
  ws("bomb-workboard", { "WORKBOARD.yaml": bomb, "a.md": FM("a") });
  ws("bomb-frontmatter", { "WORKBOARD.yaml": "docs: []\n", "a.md": "---\nname: a\n" + bomb.replace(/^/gm, "").trimEnd() + "\n---\n\nCase is the default backend.\n" });
  ws("deep-workboard", { "WORKBOARD.yaml": "a: " + "[".repeat(6000) + "]".repeat(6000) + "\n", "a.md": FM("a") });
  ws("deep-lexicon", { "WORKBOARD.yaml": "docs: []\n", ".cto/lexicon.yaml": "claims: " + "[".repeat(6000) + "\n", "a.md": FM("a") });
  ws("aliases-many", { "WORKBOARD.yaml": Array.from({ length: 20000 }, (_, i) => `k${i}: &a${i} v`).join("\n") + "\n", "a.md": FM("a") });
  // NUL byte and oversize planning docs with drift
  ws("nul", { "WORKBOARD.yaml": "docs: []\n", "a.md": FM("a", "") .replace("not-promoted", "promoted") + "Case is the default backend.\n\0\n" });
  ws("big", { "WORKBOARD.yaml": "docs: []\n", "a.md": FM("a").replace("not-promoted", "promoted") + "Case is the default backend.\n" + "x".repeat(2.1 * 1024 * 1024) + "\n" });
  // deep folders and symlinks
  { let p = ""; for (let i = 0; i < 45; i++) p += `d${i}/`; ws("deep-folders", { "WORKBOARD.yaml": "docs: []\n", [p + "a.md"]: FM("a").replace("not-promoted", "promoted") + "Case is the default backend.\n" }); }
  { const root = ws("symlinks", { "WORKBOARD.yaml": "docs: []\n", "real.md": FM("real") }); writeFileSync(join(dir, "outside.md"), FM("outside") + "Case is the default backend.\n"); symlinkSync(join(dir, "outside.md"), join(root, "escape.md")); symlinkSync("real.md", join(root, "inside.md")); symlinkSync("nowhere.md", join(root, "broken.md")); }
  // lone CR, ---json
  ws("lone-cr", { "WORKBOARD.yaml": "docs: []\n", "a.md": FM("a").replace(/\n/g, "\r") + "Fine.\rCase is the default backend.\r" });
  ws("json-fence", { "WORKBOARD.yaml": "docs: []\n", "a.md": "---json\n{\"name\": \"a\", \"core_promotion_status\": \"promoted\"}\n---\n\nCase is the default backend.\n", "b.md": FM("b", "source: a.md\n") + issue("CTO-WORK-001", "None") });
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log("written to", generateHostile(process.argv[2]));
