// The official Node.js SDK (npm `pusher` 5.3.4) building the requests and answers the Python
// tests compare with their own. Reads one JSON object on stdin: {"cases": [case, ...]}, a case
// being {"app": {appId, key, secret, masterKeyBase64?}, "timestamp": <Unix seconds>, "call":
// <name>, "args": [...]}. Calls that reach the HTTP API go to a server on 127.0.0.1 started
// here, which records each request and answers 200 {}. Prints one JSON line per case:
//   {"request": {"method", "target", "body"}}   for get, post, trigger, triggerBatch,
//                                                sendToUser, terminateUserConnections
//   {"json": "<JSON.stringify of the result>"}  for authorizeChannel, authenticateUser
//   {"query": "<signed query string>"}          for sign: args [method, path, params, body]
//   {"base64": "..."}                           for channelSharedSecret: args [channel]
//   {"plaintext": "..." | null}                 for open: args [channel, data string], the
//                                                event data opened with tweetnacl
//   {"error": "<message>"}                      when the SDK throws
"use strict";
const http = require("http");
const Pusher = require("pusher");
const requests = require("pusher/lib/requests");
const nacl = require("tweetnacl");
const naclUtil = require("tweetnacl-util");

const realNow = Date.now;
let captured = null;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    captured = { method: req.method, target: req.url, body: Buffer.concat(chunks).toString("utf8") };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end("{}");
  });
});

function client(app, port) {
  const options = {
    appId: app.appId, key: app.key, secret: app.secret,
    host: "127.0.0.1", port: String(port), useTLS: false,
  };
  if (app.masterKeyBase64 !== undefined) options.encryptionMasterKeyBase64 = app.masterKeyBase64;
  return new Pusher(options);
}

async function run(testCase, port) {
  const pusher = client(testCase.app, port);
  const args = testCase.args || [];
  // The SDK reads the clock when it signs; the case says what it reads.
  Date.now = () => testCase.timestamp * 1000;
  try {
    switch (testCase.call) {
      case "authorizeChannel":
      case "authenticateUser":
        return { json: JSON.stringify(pusher[testCase.call](...args)) };
      case "channelSharedSecret":
        return { base64: Buffer.from(pusher.channelSharedSecret(args[0])).toString("base64") };
      case "open": {
        const envelope = JSON.parse(args[1]);
        const opened = nacl.secretbox.open(
          naclUtil.decodeBase64(envelope.ciphertext),
          naclUtil.decodeBase64(envelope.nonce),
          new Uint8Array(pusher.channelSharedSecret(args[0])),
        );
        return { plaintext: opened === null ? null : naclUtil.encodeUTF8(opened) };
      }
      case "sign": {
        const [method, path, params, body] = args;
        return {
          query: requests.createSignedQueryString(pusher.config.token, { method, path, params, body }),
        };
      }
      default: {
        captured = null;
        const response = await pusher[testCase.call](...args);
        await response.text();
        return { request: captured };
      }
    }
  } catch (error) {
    return { error: String(error.message || error) };
  } finally {
    Date.now = realNow;
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const { cases } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  const lines = [];
  for (const testCase of cases) lines.push(JSON.stringify(await run(testCase, port)));
  process.stdout.write(lines.join("\n") + "\n");
  server.close();
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error) + "\n");
  process.exit(1);
});
