// Runs the pusher-js constructor call that `mesg-pusher local-server` prints, exactly as a user
// pastes it, subscribes to a channel and reports as JSON lines: {"type": "connected"},
// {"type": "subscribed"}, {"type": "event", event, data}.
// Config (argv[2], JSON): {snippet: "new Pusher(...)", channel}.
"use strict";
const Pusher = require("pusher-js");

const config = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");
// The printed line is code meant for a page or a script: it is run as such.
const pusher = new Function("Pusher", `return (${config.snippet});`)(Pusher);
pusher.connection.bind("connected", () => say({ type: "connected" }));
const channel = pusher.subscribe(config.channel);
channel.bind("pusher:subscription_succeeded", () => say({ type: "subscribed" }));
channel.bind_global((event, data) => {
  if (!event.startsWith("pusher:")) say({ type: "event", event, data });
});
setTimeout(() => { say({ type: "fatal", error: "timed out" }); process.exit(3); }, 60000).unref();
process.stdin.on("close", () => { pusher.disconnect(); setTimeout(() => process.exit(0), 50); });
process.stdin.resume();
