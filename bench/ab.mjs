#!/usr/bin/env node
// A/B of Worker builds on the two login benchmarks (and with --send on POST /api/two-factor/send):
// each build in its own workerd, pinned as bench/run.mjs pins; a round logs in 900 imported 2FA users
// (→ 242), completes those logins (→ 200) and measures workerd's CPU per request as run.mjs does.
//   node bench/ab.mjs <A>/index.js <B>/index.js [...] [--rounds 3] [--send]
//     rounds take the builds in turn; prints each build's median round.
//   node bench/ab.mjs <A>/index.js <B>/index.js --paired [--rounds 13] [--send]
//     round pairs in the order AB, BA, AB, …, users imported with PBKDF2 at 1,000 iterations, no
//     alarm due within the hour; prints B − A per pair and its median, mean ± stddev (µs per request).
// Without --paired each login leaves an alarm five minutes later, charged to a later round.
// Build: `npx wrangler deploy --dry-run --outdir $PWD/bench/scratch/a` (git-ignored). A variant:
// `git archive HEAD src wrangler.toml | tar -x -C bench/scratch/v`, patch it, build it with
// `--config $PWD/bench/scratch/v/wrangler.toml --outdir $PWD/bench/scratch/v/.build` (absolute).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { load, round } from "./lib/load.mjs";
import { cleanupAll, pinLoadGenerator, randomSecrets, startFakeTwilio, startWorker, waitForOpenDatabases, WORKER_DURABLE_OBJECTS } from "./lib/servers.mjs";
import { importTwoFactorUsers, PASSWORD_FACTOR, twoFactorUsers } from "./lib/users.mjs";
import { codeRequest, fakeTwilioIntegration, loginRequest } from "./lib/requests.mjs";

const { values, positionals: builds } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string" }, send: { type: "boolean", default: false }, paired: { type: "boolean", default: false } },
});
const PAIRED = values.paired;
const ROUNDS = Number(values.rounds ?? (PAIRED ? 13 : 3));
const PER_ROUND = 900;
if (builds.length < 2 || (PAIRED && builds.length !== 2) || !(ROUNDS >= 1)) {
  console.error("usage: node bench/ab.mjs <a/index.js> <b/index.js> [...] [--rounds 3] [--send]");
  console.error("       node bench/ab.mjs <a/index.js> <b/index.js> --paired [--rounds 13] [--send]");
  process.exit(2);
}
// Paired: a cheap password step (the imported users' factor), and nothing due within the hour (the
// pending login's expiry, the replica write of the last login instant), so no alarm lands in a round.
const FACTOR = PAIRED ? 1_000 : PASSWORD_FACTOR;
const ALARM_FREE = { TWO_FACTOR_ID_TTL_SECONDS: "3600", LOGIN_REPLICA_DELAY_SECONDS: "3600" };
const ALARM_MS = 300_000; // the defaults of both

// Pinned as bench/run.mjs pins (bench/README "CPU pinning"): this process and its children on one CPU, the Workers on another.
const PIN = pinLoadGenerator();
const started = performance.now();

try {
  const setups = [];
  const twilio = values.send ? await startFakeTwilio(fileURLToPath(new URL("..", import.meta.url))) : null;
  for (const [i, scriptPath] of builds.entries()) {
    const label = "ABCDEFGH"[i];
    // A build whose replica delay is a constant still writes each code step's replica 5 minutes later.
    const replicaDelayFixed = PAIRED && !readFileSync(scriptPath, "utf8").includes("LOGIN_REPLICA_DELAY_SECONDS");
    if (replicaDelayFixed) console.log(`${label} does not read LOGIN_REPLICA_DELAY_SECONDS: each code step leaves an alarm 5 min later`);
    const secrets = randomSecrets();
    const worker = await startWorker({
      storage: "shm",
      name: `ab-${label}`,
      scriptPath,
      durableObjects: WORKER_DURABLE_OBJECTS,
      // The hourly cap on all texts raised as in bench/run.mjs.
      bindings: { ...secrets, PASSWORD_FACTOR: String(FACTOR), SMS_MAX_PER_HOUR: "1000000", ...(PAIRED && ALARM_FREE) },
    });
    PIN?.pinWorker(worker.pid);
    const headers = { Authorization: secrets.API_KEYS, "Content-Type": "application/json" };
    const users = twoFactorUsers(PER_ROUND * ROUNDS, { prefix: "ab" });
    if (twilio) {
      const body = JSON.stringify(fakeTwilioIntegration(twilio.url));
      const response = await fetch(`${worker.url}/api/integration`, { method: "PUT", headers, body });
      if (response.status !== 200) throw new Error(`configure Twilio in ${label}: HTTP ${response.status}`);
    }
    await importTwoFactorUsers({ url: worker.url, headers, pid: worker.pid, users, factor: FACTOR });
    setups.push({ label, scriptPath, worker, headers, users, replicaDelayFixed });
  }
  console.log(`set up in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const rows = [];
  const firstRoundAt = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    // Paired: AB in even rounds, BA in odd ones.
    const order = PAIRED && r % 2 ? [...setups].reverse() : setups;
    for (const setup of order) {
      for (const other of setups) await waitForOpenDatabases(other.worker.pid, 300, 60_000);
      const startedAfterS = Math.round((performance.now() - firstRoundAt) / 1000);
      rows.push({ ...(await measureRound(setup, r, twilio)), startedAfterS });
    }
  }
  console.table(rows);
  if (PAIRED) printPairs(rows, setups, twilio);
  else
    for (const { label, scriptPath } of setups) {
      const mine = rows.filter((row) => row.build === label);
      const median = (key) => mine.map((row) => row[key]).sort((a, b) => a - b)[Math.floor(mine.length / 2)];
      console.log(
        `${label} ${scriptPath}: median login ${median("loginRps")} req/s (${median("loginCpuMs")} ms CPU), two-factor/login ${median("tflRps")} req/s (${median("tflCpuMs")} ms CPU, p99 ${median("tflP99")} ms)${twilio ? `, send ${median("sendRps")} req/s (${median("sendCpuMs")} ms CPU)` : ""}; unexpected ${mine.reduce((s, r) => s + r.unexpected, 0)}`,
      );
    }
  console.log(`${((performance.now() - started) / 1000).toFixed(0)} s in all`);
} finally {
  await cleanupAll();
}

/** One round of one build: the password step, the code step, and with --send a text per user. */
async function measureRound({ label, worker, headers, users: all }, r, twilio) {
  const users = all.slice(r * PER_ROUND, (r + 1) * PER_ROUND);
  const challenges = [];
  const run = (name, amount, requests, expect) =>
    load({ name: `${label} ${name} #${r + 1}`, url: worker.url, amount, expect, pids: [worker.pid], logs: worker.lines, requests });
  const login = await run("login", users.length, [loginRequest(headers, users, (challenge) => challenges.push(challenge))], [242]);
  const complete = await run("two-factor/login", challenges.length, [codeRequest(challenges)]);
  let k = 0;
  const send = twilio
    ? await run("two-factor/send", users.length, [
        {
          method: "POST",
          path: "/api/two-factor/send",
          headers,
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ userId: users[k++].id }) }),
        },
      ])
    : null;
  return {
    build: label,
    round: r + 1,
    loginRps: login.requestsPerSecond,
    loginCpuMs: login.serverCpuMsPerRequest[0],
    loginP99: login.latencyMs.p99,
    tflRps: complete.requestsPerSecond,
    tflCpuMs: complete.serverCpuMsPerRequest[0],
    tflP99: complete.latencyMs.p99,
    ...(send && { sendRps: send.requestsPerSecond, sendCpuMs: send.serverCpuMsPerRequest[0] }),
    unexpected: login.unexpected + complete.unexpected + (send?.unexpected ?? 0),
  };
}

/** B − A of each round pair and per step their median, mean ± stddev (µs of workerd CPU per request). */
function printPairs(rows, [a, b], twilio) {
  const steps = [["login", "loginCpuMs"], ["two-factor/login", "tflCpuMs"], ...(twilio ? [["two-factor/send", "sendCpuMs"]] : [])];
  const us = (ms) => Math.round(ms * 1000);
  const signed = (n) => (n > 0 ? `+${n}` : String(n));
  const pairs = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const rowA = rows.find((row) => row.build === a.label && row.round === r);
    const rowB = rows.find((row) => row.build === b.label && row.round === r);
    pairs.push({ r, rowA, rowB, diffs: steps.map(([, key]) => us(rowB[key] - rowA[key])) });
  }
  // Only with a build that keeps the 5-minute replica delay: rounds that may carry its alarms.
  const alarmsFrom = a.replicaDelayFixed || b.replicaDelayFixed ? ALARM_MS / 1000 : Infinity;
  console.log(`\nB − A, µs of workerd CPU per request (A ${a.scriptPath}, B ${b.scriptPath}):`);
  for (const { r, rowA, rowB, diffs } of pairs) {
    const late = Math.max(rowA.startedAfterS, rowB.startedAfterS) >= alarmsFrom ? "  (past 5 min: replica alarms may land)" : "";
    const unexpected = rowA.unexpected + rowB.unexpected ? `  unexpected ${rowA.unexpected + rowB.unexpected}` : "";
    console.log(
      `  pair ${String(r).padStart(2)} (${r % 2 ? "AB" : "BA"}): ${steps.map(([name], i) => `${name} ${signed(diffs[i])}`).join(", ")}${unexpected}${late}`,
    );
  }
  for (const [i, [name, key]] of steps.entries()) {
    const d = pairs.map((pair) => pair.diffs[i]);
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = d.length > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1)) : NaN;
    const medianA = median(pairs.map((pair) => us(pair.rowA[key])));
    console.log(
      `${name.padEnd(17)} B − A: median ${signed(median(d))} µs, mean ${signed(round(mean, 0))} ± ${Number.isNaN(sd) ? "–" : round(sd, 0)} µs (stddev), n ${d.length} pairs; A's median ${medianA} µs`,
    );
  }
}

function median(xs) {
  const sorted = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : round((sorted[mid - 1] + sorted[mid]) / 2, 1);
}
