// stale-review: `last_reviewed` is not in the future, not too old, and not older than the
// last change of the doc's `source:` (the source's own `updated`, `last_reviewed` or `created`).
import type { PlanningDoc } from "../model";
import type { Fix } from "../types";
import { sourceOf } from "../workspace";
import { fmKey, type Rule } from "./context";
import { dayNumber } from "./dates";

export const staleReview: Rule = {
  id: "stale-review",
  description: "`last_reviewed` is a real date, not in the future, not older than maxReviewAgeDays, and not older than its source's last change.",
  checkDoc(doc, ctx) {
    const key = fmKey(doc, "last_reviewed");
    const reviewed = dayNumber(key?.value);
    if (!key || reviewed === undefined) return; // absent or malformed: the frontmatter rule reports it
    const today = dayNumber(ctx.options.today);
    if (today === undefined) return;
    const fix: Fix[] = [{ title: `Set last_reviewed to today (${ctx.options.today})`, edits: [{ file: doc.path, range: key.valueRange, newText: ctx.options.today }] }];
    const value = String(key.value);
    if (reviewed > today) {
      ctx.report("stale-review", doc.path, key.valueRange, `last_reviewed ${value} is in the future (today is ${ctx.options.today})`, fix);
      return;
    }
    const age = today - reviewed;
    if (age > ctx.options.maxReviewAgeDays) {
      ctx.report("stale-review", doc.path, key.valueRange, `last reviewed ${value}, ${age} days ago (more than ${ctx.options.maxReviewAgeDays}): review it and bump last_reviewed`, fix);
      return;
    }
    const source = sourceOf(doc);
    const src = source ? ctx.ws.docs.get(source) : undefined;
    const changed = src ? lastChange(src) : undefined;
    if (changed && changed.day > reviewed) {
      ctx.report("stale-review", doc.path, key.valueRange, `last reviewed ${value}, before its source '${source}' changed (${changed.value}): review it against the source`, fix);
    }
  },
};

function lastChange(doc: PlanningDoc): { day: number; value: string } | undefined {
  for (const k of ["updated", "last_reviewed", "created"]) {
    const v = fmKey(doc, k)?.value;
    const day = dayNumber(v);
    if (day !== undefined) return { day, value: String(v) };
  }
  return undefined;
}
