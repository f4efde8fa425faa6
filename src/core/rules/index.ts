// The rule registry, in the contract's order.
import type { Rule } from "./context";
import { dependency } from "./dependency";
import { doneEvidenceRule } from "./doneEvidence";
import { frontmatterRule } from "./frontmatterRule";
import { issueStructure } from "./issueStructure";
import { localDisclaimer } from "./localDisclaimer";
import { promotionStatus } from "./promotionStatus";
import { requiredArtifact } from "./requiredArtifact";
import { recordStructure } from "./recordStructure";
import { staleReview } from "./staleReview";
import { authorityDrift, readinessClaim } from "./wording";
import { workboardEntry } from "./workboardEntry";

export const RULES: Rule[] = [
  requiredArtifact,
  promotionStatus,
  localDisclaimer,
  authorityDrift,
  workboardEntry,
  staleReview,
  frontmatterRule,
  issueStructure,
  dependency,
  readinessClaim,
  recordStructure,
  doneEvidenceRule,
];
