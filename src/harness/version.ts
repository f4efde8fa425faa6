// The harness version recorded in every report (freshness.harness_version).
// esbuild defines __VERSION__ from package.json; unbundled (tsc) runs see "0.0.0-dev".
declare const __VERSION__: string | undefined;
export const HARNESS_VERSION = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0-dev";
