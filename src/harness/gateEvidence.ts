// Everything the stage gates read beside the records, from one runs folder: the bundles (each
// verified now), the reviews by a person (each signature checked now), and the task facts of the
// task-set records (set on the workspace). The CLI's `cto gates` and the VS Code views both call
// this, so both see the same gates.
import type { CtoWorkspace, ReviewEvidence } from "../core";
import { readEvidence, type EvidenceEntry, type ReadEvidenceOptions } from "./evidence";
import type { TrustStore } from "./keys";
import { readReviews } from "./reviews";
import { loadTaskFacts } from "./taskFacts";

export interface GateEvidenceOptions extends ReadEvidenceOptions {
  runsDir: string;
  trust: TrustStore;
  env?: NodeJS.ProcessEnv;
}

export interface GateEvidence {
  evidence: EvidenceEntry[];
  reviews: ReviewEvidence[];
}

export async function readGateEvidence(ws: CtoWorkspace, o: GateEvidenceOptions): Promise<GateEvidence> {
  const { runsDir, env, ...read } = o;
  await loadTaskFacts(ws, { runsDir, ...(env ? { env } : {}) });
  const [evidence, reviews] = await Promise.all([readEvidence(runsDir, read), readReviews(runsDir, o.trust)]);
  return { evidence, reviews };
}
