// promotion-status: `core_promotion_status: not-promoted` on every planning doc; anything else is drift.
import { fmKey, type Rule } from "./context";

export const REQUIRED_PROMOTION_STATUS = "not-promoted";

export const promotionStatus: Rule = {
  id: "promotion-status",
  description: "Frontmatter `core_promotion_status` is `not-promoted`; `promoted` or any other value is authority drift.",
  checkDoc(doc, ctx) {
    const key = fmKey(doc, "core_promotion_status");
    if (!key || key.value === REQUIRED_PROMOTION_STATUS) return; // a missing key is the frontmatter rule's
    ctx.report(
      "promotion-status",
      doc.path,
      key.valueRange,
      `core_promotion_status is '${String(key.value)}': local planning docs are never promoted (expected '${REQUIRED_PROMOTION_STATUS}')`,
      [{ title: `Set core_promotion_status: ${REQUIRED_PROMOTION_STATUS}`, edits: [{ file: doc.path, range: key.valueRange, newText: REQUIRED_PROMOTION_STATUS }] }],
    );
  },
};
