// Opens the local server's debug console in headless Chromium (playwright-core) and checks
// that webhooks and their answers show up as text: markup in a receiver's answer or in a
// client event's data is displayed, never run. Prints JSON lines: {"type": "done", ...}.
// Config (argv[2], JSON): {url, chromium, answer, data, screenshot}.
"use strict";
const { chromium } = require("playwright-core");

const config = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

(async () => {
  const browser = await chromium.launch({
    executablePath: config.chromium || "/usr/bin/chromium", headless: true, args: FLAGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(20000);
    const dialogs = [];
    page.on("dialog", async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
    await page.goto(config.url);
    await page.locator("#live", { hasText: "live" }).waitFor();
    // The failed attempt, its answer shown word for word, then the delivery after the retry.
    await page.locator("#log tr", { hasText: config.answer }).first().waitFor();
    await page.locator("#log tr", { hasText: "retrying" }).first().waitFor();
    await page.locator("#log tr", { hasText: config.data }).first().waitFor();
    const delivered = page.locator("#log tr[data-kind=webhook]").filter({ hasNotText: "retrying" });
    await delivered.first().waitFor();
    await page.screenshot({ path: config.screenshot, fullPage: true });
    say({
      type: "done",
      injected: await page.locator("#log img, #log script, #log iframe").count(),
      xss: await page.evaluate(() => window.__xss === undefined ? null : window.__xss),
      dialogs,
      webhookRows: await page.locator("#log tr[data-kind=webhook]").count(),
      firstRow: await page.locator("#log tr[data-kind=webhook]").last().innerText(),
    });
  } finally {
    await browser.close();
  }
})().catch((error) => {
  say({ type: "fatal", error: String(error && error.stack || error) });
  process.exit(1);
});
