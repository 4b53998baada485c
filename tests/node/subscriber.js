// A pusher-js subscriber under Node.js that reports what it sees as JSON lines on stdout.
// Config (argv[2], JSON): {host, port, key, authEndpoint?, userAuthEndpoint?, channels: [...],
// tls?} (tls: connect with wss://, trusting what NODE_EXTRA_CA_CERTS names).
// Commands on stdin, one JSON object a line:
//   {"cmd": "subscribe", "channel": "..."}   {"cmd": "unsubscribe", "channel": "..."}
//   {"cmd": "client_event", "channel": "...", "event": "client-...", "data": ...}
//   {"cmd": "client_events", "channel": "...", "event": "client-...", "count": N}: N at once,
//     the data of each {"n": <its index>}
//   {"cmd": "signin"}   {"cmd": "quit"}
"use strict";
const Pusher = require("pusher-js");
const readline = require("readline");

const config = JSON.parse(process.argv[2]);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const options = config.tls
  ? { wsHost: config.host, wssPort: config.port, forceTLS: true, enabledTransports: ["ws", "wss"] }
  : { wsHost: config.host, wsPort: config.port, forceTLS: false, enabledTransports: ["ws"] };
Object.assign(options, { cluster: "mt1", disableStats: true });
if (config.authEndpoint) {
  options.channelAuthorization = { endpoint: config.authEndpoint, transport: "ajax" };
}
if (config.userAuthEndpoint) {
  options.userAuthentication = { endpoint: config.userAuthEndpoint, transport: "ajax" };
}
const pusher = new Pusher(config.key, options);
const CACHE_CHANNEL = /^(private-|private-encrypted-|presence-)?cache-/;

pusher.connection.bind("connected", () => {
  say({ type: "connected", socket_id: pusher.connection.socket_id });
});
pusher.connection.bind("error", (error) => {
  // A pusher:error from the server arrives as {type: "WebSocketError", error: {type:
  // "PusherError", data: {code, message}}}.
  const data = error && error.error && error.error.data ? error.error.data : error && error.data;
  say({ type: "connection_error", error: data || String(error && error.type) });
});
pusher.connection.bind("state_change", (states) => {
  say({ type: "state", previous: states.previous, current: states.current });
});
// After a sign-in pusher-js subscribes to #server-to-user-<id> by itself, outside
// pusher.channels: report how the server answers that subscription.
pusher.connection.bind("message", (message) => {
  if (message.channel && message.channel.startsWith("#server-to-user-") &&
      message.event === "pusher_internal:subscription_succeeded") {
    say({ type: "user_subscribed", channel: message.channel });
  }
  // Every frame of a cache channel as pusher-js decoded it, in arrival order: what a
  // server sends there (the cached event or pusher:cache_miss) is compared across servers.
  if (message.channel && CACHE_CHANNEL.test(message.channel)) {
    say({ type: "frame", event: message.event, channel: message.channel, data: message.data });
  }
});

function subscribe(name) {
  const channel = pusher.subscribe(name);
  channel.bind("pusher:subscription_succeeded", (members) => {
    const line = { type: "subscribed", channel: name };
    if (members && members.count !== undefined) {
      const ids = [];
      members.each((member) => ids.push(member.id));
      line.members = { count: members.count, ids: ids.sort(), me: members.me && members.me.id };
    }
    say(line);
  });
  channel.bind("pusher:subscription_error", (error) => {
    say({ type: "subscription_error", channel: name, error });
  });
  channel.bind("pusher:member_added", (member) => {
    say({ type: "member_added", channel: name, id: member.id, info: member.info });
  });
  channel.bind("pusher:cache_miss", (data) => {
    say({ type: "cache_miss", channel: name, data });
  });
  channel.bind("pusher:subscription_count", (data) => {
    say({ type: "subscription_count", channel: name, count: data.subscription_count });
  });
  channel.bind("pusher:member_removed", (member) => {
    say({ type: "member_removed", channel: name, id: member.id });
  });
  channel.bind_global((event, data, metadata) => {
    if (event.startsWith("pusher:")) return;
    say({ type: "event", channel: name, event, data, user_id: metadata && metadata.user_id });
  });
}

for (const name of config.channels || []) subscribe(name);

readline.createInterface({ input: process.stdin }).on("line", (text) => {
  const command = JSON.parse(text);
  if (command.cmd === "subscribe") subscribe(command.channel);
  else if (command.cmd === "unsubscribe") pusher.unsubscribe(command.channel);
  else if (command.cmd === "client_event") {
    const ok = pusher.channel(command.channel).trigger(command.event, command.data);
    say({ type: "client_event_sent", ok });
  } else if (command.cmd === "client_events") {
    const channel = pusher.channel(command.channel);
    const sent = [];
    for (let n = 0; n < command.count; n += 1) sent.push(channel.trigger(command.event, { n }));
    say({ type: "client_events_sent", ok: sent.every(Boolean), count: sent.length });
  } else if (command.cmd === "signin") {
    pusher.user.bind("greeting", (data) => say({ type: "user_event", event: "greeting", data }));
    pusher.signin();
  } else if (command.cmd === "quit") {
    pusher.disconnect();
    setTimeout(() => process.exit(0), 50);
  }
}).on("close", () => {
  pusher.disconnect();
  setTimeout(() => process.exit(0), 50);
});

// Never hang a test: leave after two minutes whatever happens.
setTimeout(() => { say({ type: "fatal", error: "timed out" }); process.exit(3); }, 120000).unref();
