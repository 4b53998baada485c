// The official Node.js SDK (npm `pusher`) judging webhooks, as an app's receiver would:
// `pusher.webhook({headers, rawBody})`, then `isValid()`, `getEvents()` and `getTime()`.
// Config (argv[2], JSON): {appId, key, secret}. Reads one JSON line per webhook on stdin,
// {"headers": {<lower-case name>: value}, "body": "<raw body>"}, and prints for each
// {"type": "checked", "valid": bool, "events": [...] | null, "time_ms": number | null}.
"use strict";
const Pusher = require("pusher");
const readline = require("readline");

const config = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const pusher = new Pusher({ appId: config.appId, key: config.key, secret: config.secret });

readline.createInterface({ input: process.stdin }).on("line", (text) => {
  const given = JSON.parse(text);
  const webhook = pusher.webhook({ headers: given.headers, rawBody: given.body });
  const valid = webhook.isValid();
  say({
    type: "checked",
    valid,
    events: valid ? webhook.getEvents() : null,
    time_ms: valid ? webhook.getTime().getTime() : null,
  });
});
