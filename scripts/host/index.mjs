// Public face of the VS Code host used by scripts/test.mjs and scripts/start.mjs.
// See HOST.md in the shared notes for why code-server + chromium stands in for desktop VS Code offline.
export { ensureHost } from "./install.mjs";
export { runIntegration, integrationHostKind } from "./integration.mjs";
export { startCodeServer, userSettings, writeUserSettings } from "./codeserver.mjs";
export { layout, cacheBase, bundledVscodeVersion, VERSIONS } from "./paths.mjs";
export { freePort, hostEnv, installExitHandlers, RUN_MARKER_VAR, trackMarker } from "./proc.mjs";
