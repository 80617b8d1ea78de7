#!/usr/bin/env node
// A V8 CPU profile of one endpoint under load, taken over workerd's inspector: which functions of
// the Worker (and which runtime calls: storage `get`/`put`/`exec`, `fetch`, crypto) the time goes to.
//   node bench/v8-profile.mjs [--endpoint code|resend|send] [--config path/wrangler.toml]
// code: POST /api/two-factor/login right after the password step (objects open); resend: POST
// /api/two-factor/send/{twoFactorId} likewise; send: POST /api/two-factor/send {userId} to users
// whose objects have closed. 900 imported users with authenticator 2FA and their own phones; the
// fake Twilio on loopback. Prints the top functions by self and by inclusive time (ms over the
// whole run, and µs per request) and writes the profile to bench/results/<endpoint>.cpuprofile (it
// opens in Chrome DevTools). Sampling costs CPU too: compare profiles with each other, not with
// `npm run bench`. Takes about a minute.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { load } from "./lib/load.mjs";
import {
  buildWorker,
  cleanupAll,
  freePort,
  randomSecrets,
  startFakeTwilio,
  startWorker,
  waitForOpenDatabases,
  WORKER_DURABLE_OBJECTS,
} from "./lib/servers.mjs";
import { codeRequest, fakeTwilioIntegration, loginRequest } from "./lib/requests.mjs";
import { importTwoFactorUsers, twoFactorUsers } from "./lib/users.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: { endpoint: { type: "string", default: "code" }, config: { type: "string", default: join(ROOT, "wrangler.toml") } },
});
const USERS = 900;
if (!["code", "resend", "send"].includes(args.endpoint)) throw new Error("--endpoint is code, resend or send");

try {
  const scriptPath = await buildWorker(ROOT, "v8-profile", args.config);
  const twilio = await startFakeTwilio(ROOT);
  const secrets = randomSecrets();
  const inspectorPort = await freePort();
  const worker = await startWorker({
    name: "v8-profile",
    storage: "shm",
    scriptPath,
    durableObjects: WORKER_DURABLE_OBJECTS,
    inspectorPort,
    // As in bench/run.mjs: the texts of the run are not refused by the hourly caps on all texts and per client address.
    bindings: { ...secrets, PASSWORD_FACTOR: "24000", SMS_MAX_PER_HOUR: "1000000", SMS_MAX_PER_IP_PER_HOUR: "1000000" },
  });
  const headers = { Authorization: secrets.API_KEYS, "Content-Type": "application/json" };
  const call = async (method, path, body) => {
    const response = await fetch(`${worker.url}${path}`, { method, headers, body: JSON.stringify(body) });
    if (response.status !== 200) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  };
  await call("PUT", "/api/integration", fakeTwilioIntegration(twilio.url));
  const users = twoFactorUsers(USERS, { prefix: "v8-" });
  await importTwoFactorUsers({ url: worker.url, headers, pid: worker.pid, users });
  await waitForOpenDatabases(worker.pid, 300, 60_000);

  // The password step first (not profiled) for the endpoints that continue a login.
  const pending = [];
  if (args.endpoint !== "send") {
    await load({
      name: "POST /api/login (→ 242, not profiled)",
      url: worker.url,
      amount: USERS,
      expect: [242],
      pids: [worker.pid],
      logs: worker.lines,
      requests: [loginRequest(headers, users, (challenge) => pending.push(challenge))],
    });
  }
  let k = 0;
  const requests = {
    code: codeRequest(pending),
    resend: { method: "POST", setupRequest: (req) => ({ ...req, path: `/api/two-factor/send/${pending[k++].twoFactorId}` }) },
    send: { method: "POST", path: "/api/two-factor/send", headers, setupRequest: (req) => ({ ...req, body: JSON.stringify({ userId: users[k++].id }) }) },
  };

  const inspector = await inspect(inspectorPort, "v8-profile");
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  await inspector.send("Profiler.start");
  await load({ name: args.endpoint, url: worker.url, amount: USERS, pids: [worker.pid], logs: worker.lines, requests: [requests[args.endpoint]] });
  const { profile } = await inspector.send("Profiler.stop");
  inspector.close();
  const out = join(ROOT, `bench/results/${args.endpoint}.cpuprofile`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(profile));
  report(profile, USERS);
  console.log(`\nprofile: ${out}`);
} finally {
  await cleanupAll();
}

/** A Chrome DevTools Protocol session with the Worker's isolate (workerd lists one target per service). */
async function inspect(port, name) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((candidate) => candidate.title.includes(`core:user:${name}`)) ?? targets.find((candidate) => candidate.title.includes(name));
  if (!target) throw new Error(`no inspector target for ${name}: ${targets.map((t) => t.title).join(", ")}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let id = 0;
  const waiting = new Map();
  socket.on("message", (data) => {
    const message = JSON.parse(data);
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve) => {
        waiting.set(++id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Self and inclusive time per function (a function counted once per sample even when it recurses). */
function report(profile, requests) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const label = ({ callFrame: { functionName, url, lineNumber } }) =>
    `${functionName || "(anonymous)"}${url ? ` ${url.split("/").pop()}:${lineNumber + 1}` : ""}`;
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((sample, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    total += micros;
    const name = label(nodes.get(sample));
    self.set(name, (self.get(name) ?? 0) + micros);
    const seen = new Set();
    for (let id = sample; id !== undefined; id = parents.get(id)) {
      const frame = label(nodes.get(id));
      if (!seen.has(frame)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + micros);
      seen.add(frame);
    }
  });
  const table = (title, times, count) => {
    console.log(`\n${title}\n${"ms".padStart(8)} ${"µs/req".padStart(8)}  function`);
    for (const [name, micros] of [...times].sort((a, b) => b[1] - a[1]).slice(0, count))
      console.log(`${(micros / 1000).toFixed(1).padStart(8)} ${(micros / requests).toFixed(1).padStart(8)}  ${name}`);
  };
  console.log(`\n${(total / 1000).toFixed(0)} ms sampled over ${requests} requests ((idle) is the isolate waiting)`);
  table("self time", self, 25);
  table("inclusive time", inclusive, 40);
}
