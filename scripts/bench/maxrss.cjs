// Preloaded (node --require) into a measured child when GNU time is not available: writes the
// process's peak resident set size in KB (process.resourceUsage().maxRSS) to $CTO_BENCH_RSS_FILE
// when it exits.
"use strict";
const file = process.env.CTO_BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    try {
      require("node:fs").writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {}
  });
}
