// Drives the local server's debug console in headless Chromium (Debian's /usr/bin/chromium)
// with playwright-core, and prints JSON lines: {"type": "ready"}, {"type": "done"}.
// Config (argv[2], JSON): {url, socketId, apiEvent, liveEvent, channel, app, screenshot,
// cacheChannel?}.
// Between "ready" and the live-event check, the test publishes `liveEvent` through the API.
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
    await page.goto(config.url);
    await page.locator("#live", { hasText: "live" }).waitFor();
    // History: the API call made before the page opened, and the subscriber's connection.
    await page.locator("#log tr", { hasText: config.apiEvent }).first().waitFor();
    await page.locator("#connections tr", { hasText: config.socketId }).waitFor();
    await page.locator("#channels tr", { hasText: config.channel }).first().waitFor();
    await page.locator("#channels tr", { hasText: "presence-" + config.channel }).waitFor();
    if (config.cacheChannel) {
      // A subscription to an empty cache channel shows as its miss.
      await page.locator("#log tr", { hasText: "cache miss on " + config.cacheChannel }).waitFor();
    }
    say({ type: "ready" });
    // Live: an event published after the page opened shows up without a reload.
    await page.locator("#log tr", { hasText: config.liveEvent }).first().waitFor();
    // The test-event form publishes through the server.
    await page.selectOption("#send-app", config.app);
    await page.fill("#send-channel", config.channel);
    await page.fill("#send-event", "from-page");
    await page.fill("#send-data", '{"sent":"from the debug console"}');
    await page.click("#send-button");
    await page.locator("#send-result", { hasText: "sent (200)" }).waitFor();
    await page.locator("#log tr", { hasText: "from-page" }).first().waitFor();
    // A refused test event shows its status and Pusher's message.
    await page.fill("#send-channel", "bad channel!");
    await page.click("#send-button");
    await page.locator("#send-result", { hasText: "400" }).waitFor();
    await page.fill("#send-channel", config.channel);
    await page.screenshot({ path: config.screenshot, fullPage: true });
    say({
      type: "done",
      connections: await page.locator("#connection-count").textContent(),
      logRows: await page.locator("#log tr").count(),
    });
  } finally {
    await browser.close();
  }
})().catch((error) => {
  say({ type: "fatal", error: String(error && error.stack || error) });
  process.exit(1);
});
