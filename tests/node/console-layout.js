// The local server's debug console in headless Chromium (Debian's /usr/bin/chromium) at several
// widths, driven by playwright-core. For each width it waits for the feed, checks that no element
// is wider than the window (nothing to scroll sideways), saves a screenshot, and uses the feed's
// controls: the kind filters, pause and clear. Prints one JSON line per width:
//   {"type": "width", "width", "overflowing": [...], "rows", "shownAfterFilter", "heldWhilePaused",
//    "shownAfterResume", "rowsAfterClear", "closeReasons": [...], "faultMarks"}
// then {"type": "done"}. Config (argv[2], JSON): {url, widths: [...], screenshots: "<dir>",
// chromium?, expectRows}. Between widths the page is reloaded, so each starts from the history.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const config = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
];

// Elements whose right edge passes the window's, or that are wider than it (a hidden one
// has no box and is left out), named so a failure says which.
function overflowing() {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) found.push("document scrolls sideways");
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    if (box.right > width + 0.5 || box.left < -0.5 || box.width > width + 0.5) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "");
      found.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
    }
  }
  return found.slice(0, 20);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: config.chromium || "/usr/bin/chromium", headless: true, args: FLAGS,
  });
  try {
    for (const width of config.widths) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      page.setDefaultTimeout(20000);
      await page.goto(config.url);
      await page.locator("#live", { hasText: "live" }).waitFor();
      await page.waitForFunction((n) => document.querySelectorAll("#log tr").length >= n, config.expectRows);
      await page.locator("#faults").waitFor();
      const result = { type: "width", width, overflowing: await page.evaluate(overflowing) };
      await page.screenshot({ path: path.join(config.screenshots, `debug-console-${width}.png`), fullPage: true });
      result.rows = await page.locator("#log tr").count();
      result.closeReasons = await page.locator("#log tr[data-kind=connection] .data").allTextContents();
      result.faultMarks = await page.locator("#log .fault-mark").count();
      // Filters by kind: only API calls left visible.
      for (const kind of ["connection", "subscription", "client_event", "signin", "cache", "webhook"]) {
        await page.uncheck(`#kind-${kind}`);
      }
      result.shownAfterFilter = await page.locator("#log tr:not([hidden])").count();
      result.shownKinds = [...new Set(await page.locator("#log tr:not([hidden])").evaluateAll(
        (rows) => rows.map((row) => row.dataset.kind)))];
      for (const kind of ["connection", "subscription", "client_event", "signin", "cache", "webhook"]) {
        await page.check(`#kind-${kind}`);
      }
      // Pause holds new entries back; resume shows them.
      await page.click("#pause");
      const before = await page.locator("#log tr").count();
      await page.fill("#send-channel", "paused-channel");
      await page.fill("#send-event", `while-paused-${width}`);
      await page.click("#send-button");
      await page.locator("#send-result", { hasText: "sent (200)" }).waitFor();
      await page.locator("#paused-note", { hasText: /paused: [1-9]/ }).waitFor();
      result.heldWhilePaused = (await page.locator("#log tr").count()) - before;
      await page.click("#pause");
      await page.locator("#log tr", { hasText: `while-paused-${width}` }).waitFor();
      result.shownAfterResume = (await page.locator("#log tr").count()) - before;
      // Clear empties the feed.
      await page.click("#clear");
      result.rowsAfterClear = await page.locator("#log tr").count();
      result.countAfterClear = await page.locator("#log-count").textContent();
      result.overflowingAfter = await page.evaluate(overflowing);
      say(result);
      await page.close();
    }
    say({ type: "done" });
  } finally {
    await browser.close();
  }
})().catch((error) => {
  say({ type: "fatal", error: String(error && error.stack || error) });
  process.exit(1);
});
