// Checks test/schemas/sarif-schema-2.1.0.json against the npm package it was taken from:
// `npm pack` downloads the tarball, we extract the schema and compare bytes (and sha256).
//   node scripts/sarif-schema.mjs [--update]
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE = "@datadog/datadog-ci-plugin-sarif@5.9.0";
const INNER = "package/dist/json-schema/sarif-schema-2.1.0.json";
const repo = resolve(fileURLToPath(import.meta.url), "..", "..");
const ours = join(repo, "test", "schemas", "sarif-schema-2.1.0.json");
const dir = mkdtempSync(join(tmpdir(), "cto-sarif-"));
try {
  const packed = spawnSync("npm", ["pack", PACKAGE, "--json", "--pack-destination", dir], { encoding: "utf8" });
  if (packed.status !== 0) throw new Error(`npm pack ${PACKAGE} failed: ${packed.stderr}`);
  const [{ filename, integrity }] = JSON.parse(packed.stdout);
  const untar = spawnSync("tar", ["-xzf", join(dir, filename), "-C", dir, INNER]);
  if (untar.status !== 0) throw new Error(`${filename} holds no ${INNER}`);
  const theirs = readFileSync(join(dir, INNER));
  const sha = (b) => createHash("sha256").update(b).digest("hex");
  console.log(`${PACKAGE} (${integrity}): ${INNER} sha256 ${sha(theirs)}`);
  console.log(`test copy: sha256 ${sha(readFileSync(ours))}`);
  if (process.argv.includes("--update")) writeFileSync(ours, theirs);
  else if (!theirs.equals(readFileSync(ours))) { console.log("DIFFERENT (run with --update to take the package's)"); process.exitCode = 1; }
  else console.log("identical");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
