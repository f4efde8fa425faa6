// frontmatter: parses, and has the required keys with the right types.
import type { PlanningDoc } from "../model";
import { isPlanningDoc } from "../parse";
import type { Fix } from "../types";
import { docAnchor, fmKey, type Rule, type RuleContext } from "./context";
import { isValidDate } from "./dates";
import { REQUIRED_PROMOTION_STATUS } from "./promotionStatus";

export const REQUIRED_KEYS = ["name", "tier", "status", "created", "last_reviewed", "lifecycle_classification", "core_promotion_status"] as const;
const DATE_KEYS = new Set(["created", "last_reviewed"]);

export const frontmatterRule: Rule = {
  id: "frontmatter",
  description: "Frontmatter parses and holds name, tier, status, created, last_reviewed, lifecycle_classification, core_promotion_status (dates as YYYY-MM-DD).",
  checkDoc(doc, ctx) {
    if (!isPlanningDoc(doc)) {
      // Only PRD targets reach here without frontmatter.
      ctx.report("frontmatter", doc.path, docAnchor(doc), "this PRD has no YAML frontmatter: start the file with a `---` block");
      return;
    }
    const fm = doc.frontmatter;
    for (const e of fm.errors) ctx.report("frontmatter", doc.path, e.range, e.message);
    if (fm.errors.length > 0 || !fm.data) return;
    const missing = REQUIRED_KEYS.filter((k) => !fmKey(doc, k));
    if (missing.length > 0) {
      ctx.report("frontmatter", doc.path, docAnchor(doc), `frontmatter lacks ${missing.map((k) => `'${k}'`).join(", ")}`, missingFixes(doc, missing, ctx));
    }
    for (const name of REQUIRED_KEYS) {
      const key = fmKey(doc, name);
      if (!key) continue;
      if (DATE_KEYS.has(name)) {
        if (!isValidDate(key.value)) ctx.report("frontmatter", doc.path, key.valueRange, `${name} must be a date as YYYY-MM-DD (got ${JSON.stringify(key.value ?? null)})`);
      } else if (typeof key.value !== "string" || key.value.trim() === "") {
        ctx.report("frontmatter", doc.path, key.valueRange, `${name} must be a non-empty string (got ${JSON.stringify(key.value ?? null)})`);
      }
    }
  },
};

/** Inserts the keys that have an obvious value before the closing `---`. */
function missingFixes(doc: PlanningDoc, missing: readonly string[], ctx: RuleContext): Fix[] {
  const known: Record<string, string> = {
    core_promotion_status: REQUIRED_PROMOTION_STATUS,
    lifecycle_classification: "planning",
    last_reviewed: ctx.options.today,
    created: ctx.options.today,
  };
  const line = doc.frontmatter.closeLine;
  const fixes: Fix[] = [];
  for (const k of missing) {
    if (known[k] === undefined) continue;
    fixes.push({
      title: `Add ${k}: ${known[k]}`,
      edits: [{ file: doc.path, range: { line, column: 1, endLine: line, endColumn: 1 }, newText: `${k}: ${known[k]}${doc.eol}` }],
    });
  }
  return fixes;
}
