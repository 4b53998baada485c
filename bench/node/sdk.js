// Worker: the official Node SDK (npm pusher) triggering with N in flight over a keep-alive agent,
// over plain HTTP or over TLS (--scheme https, trusting the CA file --ca names).
// Prints one JSON line like the Python workers: count, errors, elapsed (s), cpu (s, this process).
"use strict";
const fs = require("fs");
const http = require("http");
const https = require("https");
const Pusher = require("pusher");

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const host = option("host", "127.0.0.1");
const port = Number(option("port"));
const count = Number(option("count", "5000"));
const seconds = Number(option("seconds", "3"));
const warmup = Number(option("warmup", "300"));
const concurrency = Number(option("concurrency", "64"));
const keepAlive = option("keep-alive", "on") === "on";
const useTLS = option("scheme", "http") === "https";
const agent = useTLS
  ? new https.Agent({ keepAlive, maxSockets: concurrency, ca: fs.readFileSync(option("ca")) })
  : new http.Agent({ keepAlive, maxSockets: concurrency });

const pusher = new Pusher({
  appId: "1",
  key: "bench-key",
  secret: "bench-secret",
  host,
  port,
  useTLS,
  timeout: 10000,
  agent,
});
const data = { message: "hello", count: 1 };

async function load(budget) {
  const deadline = performance.now() + seconds * 1000;
  let left = budget;
  let done = 0;
  let errors = 0;
  async function loop() {
    while (left > 0 && performance.now() < deadline) {
      left -= 1;
      try {
        const response = await pusher.trigger("bench-channel", "bench-event", data);
        await response.text();
        done += 1;
      } catch (error) {
        errors += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { done, errors };
}

async function main() {
  await load(warmup);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { done, errors } = await load(count);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sample = { count: done, errors, elapsed, cpu: (cpu.user + cpu.system) / 1e6 };
  process.stdout.write(JSON.stringify(sample) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error) + "\n");
  process.exit(1);
});
