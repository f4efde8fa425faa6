// The package version, injected by esbuild (see esbuild.mjs `define`).
declare const __VERSION__: string | undefined;
export const VERSION_STRING = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0-dev";
