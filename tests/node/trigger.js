// The official Node.js SDK (npm `pusher`) publishing to a Pusher-protocol server.
// Config (argv[2], JSON): {appId, key, secret, host, port, timeout?, calls: [call, ...]} where
// `timeout` is the SDK's own, in ms, and a call is
//   {"trigger": {"channels": [...], "event": "...", "data": ..., "params"?: {...}}} or
//   {"batch": [{"channel", "name", "data"}, ...]}.
// Prints one JSON line per call: {"type": "result", "status": 200, "body": {...}} or
// {"type": "result", "status": 401, "error": "<body text>"}; a call that got no answer has status
// null and the cause the SDK gives ({"cause": "FetchError: ... socket hang up"}).
"use strict";
const Pusher = require("pusher");

const config = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const pusher = new Pusher({
  appId: config.appId, key: config.key, secret: config.secret,
  host: config.host, port: String(config.port), useTLS: false,
  ...(config.timeout ? { timeout: config.timeout } : {}),
});

async function run(call) {
  try {
    const response = call.trigger
      ? await pusher.trigger(call.trigger.channels, call.trigger.event, call.trigger.data, call.trigger.params)
      : await pusher.triggerBatch(call.batch);
    say({ type: "result", status: response.status, body: await response.json() });
  } catch (error) {
    const cause = error.error ? `${error.error.name}: ${error.error.message}` : undefined;
    say({ type: "result", status: error.status || null, error: String(error.body || error.message), cause });
  }
}

(async () => {
  for (const call of config.calls) await run(call);
})();
