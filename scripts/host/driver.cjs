// Runs inside the host folder under Node 24 (so require("playwright-core") resolves there).
// Opens code-server's workbench in headless Debian chromium with the extension-test payload — the
// same one VS Code's own browser integration runner uses — and waits for the workbench to call
// window.codeAutomationExit(code). The extension host's console arrives via window.codeAutomationLog
// and is printed line by line; the parent parses it.
// Screenshot protocol: a test logs "__VSCODE_SCREENSHOT__ /abs/path.png"; the page is captured to a
// temp file and renamed into place, so the test (polling for the path) never sees half a PNG.
// Two more requests, each answered by a file the test polls for (written the same way):
//   "__CTO_DOM__ {selector, attrs, out}"  the matching elements' text and attributes, as JSON;
//   "__CTO_KEYS__ {click, waitFor, waitForState, text, press, out}"  clicks and types as a person would: each
//     selector of `click` in turn (once visible), then after `waitFor` is visible the text and
//     keys, e.g. a walkthrough button, or the reason in an input box; out gets "ok" or the error.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const path = require("path");
const util = require("util");

const opts = JSON.parse(process.argv[2]); // { port, ext, tests, folder, timeoutSec, failShotDir, chromium, verbose }

// Lookups of gallery/telemetry/auth hosts fail offline by design; they only bury the test output.
const NOISE = /open-vsx\.org|marketplace|AgentHost|ChatModelSelection|AccountPolicyGate|Creating a socket|Service Worker|authentication provider|^\s+at .*workbench\.js|reconnection-grace-time|connection token|additional builtin extensions/;

(async () => {
  const host = `127.0.0.1:${opts.port}`;
  const remote = (p) => `vscode-remote://${host}${path.resolve(p)}`;
  const payload = [["extensionDevelopmentPath", remote(opts.ext)], ["extensionTestsPath", remote(opts.tests)],
    ["skipWelcome", "true"]];
  const url = `http://${host}/?folder=${encodeURIComponent(path.resolve(opts.folder))}`
    + `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  // The flags keep chromium off the (closed) network and working as root in a container.
  const browser = await chromium.launch({
    executablePath: opts.chromium, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();

  let shots = Promise.resolve(); // one capture at a time
  const snap = (file) => (shots = shots.then(async () => {
    const tmp = `${file}.${process.pid}.tmp.png`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: tmp });
      fs.renameSync(tmp, file);
      console.log(`[driver] screenshot: ${file}`);
    } catch (e) { console.log(`[driver] screenshot failed (${file}): ${e.message}`); }
  }));

  const reply = (out, text) => {
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, out);
  };
  // Queued behind screenshots, so a picture taken after a request shows its effect.
  const answer = (kind, r) => (shots = shots.then(async () => {
    try {
      if (kind === "DOM") {
        const found = await page.$$eval(r.selector, (els, attrs) => els.map((e) => ({
          text: (e.textContent || "").trim(), attrs: Object.fromEntries(attrs.map((a) => [a, e.getAttribute(a)])),
        })), r.attrs || []);
        reply(r.out, JSON.stringify(found));
      } else {
        for (const sel of r.click || []) await page.click(sel, { timeout: 15000 });
        if (r.waitFor) await page.waitForSelector(r.waitFor, { state: r.waitForState || "visible", timeout: 15000 });
        if (r.text) await page.keyboard.type(r.text, { delay: 10 });
        for (const k of r.press || []) await page.keyboard.press(k);
        reply(r.out, "ok");
      }
    } catch (e) { reply(r.out, `error: ${e.message}`); }
  }));

  // Both bindings must exist before the workbench loads, or early log lines and the exit are lost.
  await page.exposeFunction("codeAutomationLog", (_type, args) => {
    const msg = util.format(...(Array.isArray(args) ? args : [args]));
    const shot = /__VSCODE_SCREENSHOT__ (\S.*\.png)\s*$/.exec(msg);
    if (shot) { snap(shot[1].trim()); return; }
    const req = /^__CTO_(DOM|KEYS)__ (\{.*\})\s*$/.exec(msg);
    if (req) { answer(req[1], JSON.parse(req[2])); return; }
    if (opts.verbose || !NOISE.test(msg)) console.log(msg);
  });
  let exit;
  const done = new Promise((resolve) => { exit = resolve; });
  await page.exposeFunction("codeAutomationExit", (code) => exit(code));
  page.on("pageerror", (e) => console.log(`[pageerror] ${e.message}`));
  if (opts.verbose) page.on("console", (m) => console.log(`[browser] ${m.text()}`));

  if (opts.verbose) console.log(`[driver] opening ${url}`);
  await page.goto(url, { waitUntil: "domcontentloaded" });
  let timer;
  const code = await Promise.race([done,
    new Promise((r) => { timer = setTimeout(() => r("timeout"), opts.timeoutSec * 1000); })]);
  clearTimeout(timer);
  // A picture of the workbench as the run ended is the fastest way to see why it went wrong.
  if (code !== 0 && opts.failShotDir) await snap(path.join(opts.failShotDir, "__failure-final.png"));
  await shots;
  await browser.close();
  if (code === "timeout") {
    console.log(`[driver] TIMEOUT: the extension tests did not finish within ${opts.timeoutSec} s`);
    process.exit(2);
  }
  process.exit(code === 0 ? 0 : 1);
})().catch((e) => { console.log(`[driver] error: ${e && e.stack || e}`); process.exit(3); });
