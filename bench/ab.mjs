#!/usr/bin/env node
// A/B of Worker builds on the two login benchmarks (and with --send on POST /api/two-factor/send),
// rounds alternating between builds so that the machine's background load hits them alike (this
// 2-core machine is shared).
//   node bench/ab.mjs <build A>/index.js <build B>/index.js [...] [--rounds 3] [--send]
// Build a variant without touching src/: `git archive HEAD src wrangler.toml | tar -x -C /somewhere/under/bench/scratch`,
// patch the copy (e.g. `patch -d <copy> -p1 < bench/prototypes/challenge-in-guard.diff`), then
// `npx wrangler deploy --dry-run --config $PWD/<copy>/wrangler.toml --outdir $PWD/<copy>/.build`
// (absolute --outdir: wrangler resolves a relative one against the config's directory).
// Each build gets its own workerd with 900 × rounds imported 2FA users; each round logs in 900 of
// them (→ 242) and completes those logins (→ 200); the median round per build is printed.
// Each login leaves its object an alarm five minutes later (the pending login's expiry, the replica
// write): a run longer than that gets those alarms in later rounds, charged to whichever build's round
// is running (bench/README.md, "The framework's share of the code step").
import { parseArgs } from "node:util";
import { load } from "./lib/load.mjs";
import { fileURLToPath } from "node:url";
import { cleanupAll, pinLoadGenerator, randomSecrets, startFakeTwilio, startWorker, waitForOpenDatabases, WORKER_DURABLE_OBJECTS } from "./lib/servers.mjs";
import { importTwoFactorUsers, twoFactorUsers } from "./lib/users.mjs";
import { codeRequest, fakeTwilioIntegration, loginRequest } from "./lib/requests.mjs";

const { values, positionals: builds } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string", default: "3" }, send: { type: "boolean", default: false } },
});
const ROUNDS = Number(values.rounds);
const PER_ROUND = 900;
if (builds.length < 2) {
  console.error("usage: node bench/ab.mjs <a/index.js> <b/index.js> [...] [--rounds 3] [--send]");
  process.exit(2);
}

// Pinned as bench/run.mjs pins (bench/README "CPU pinning"): this process and its children on one CPU, the Workers on another.
const PIN = pinLoadGenerator();

try {
  const setups = [];
  const twilio = values.send ? await startFakeTwilio(fileURLToPath(new URL("..", import.meta.url))) : null;
  for (const [i, scriptPath] of builds.entries()) {
    const label = "ABCDEFGH"[i];
    const secrets = randomSecrets();
    const worker = await startWorker({
      storage: "shm",
      name: `ab-${label}`,
      scriptPath,
      durableObjects: WORKER_DURABLE_OBJECTS,
      // The hourly cap on all texts raised as in bench/run.mjs.
      bindings: { ...secrets, PASSWORD_FACTOR: "24000", SMS_MAX_PER_HOUR: "1000000" },
    });
    PIN?.pinWorker(worker.pid);
    const headers = { Authorization: secrets.API_KEYS, "Content-Type": "application/json" };
    const users = twoFactorUsers(PER_ROUND * ROUNDS, { prefix: "ab" });
    if (twilio) {
      const body = JSON.stringify(fakeTwilioIntegration(twilio.url));
      const response = await fetch(`${worker.url}/api/integration`, { method: "PUT", headers, body });
      if (response.status !== 200) throw new Error(`configure Twilio in ${label}: HTTP ${response.status}`);
    }
    await importTwoFactorUsers({ url: worker.url, headers, pid: worker.pid, users });
    setups.push({ label, scriptPath, worker, headers, users });
  }

  const rows = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const { label, worker, headers, users: all } of setups) {
      const users = all.slice(round * PER_ROUND, (round + 1) * PER_ROUND);
      for (const other of setups) await waitForOpenDatabases(other.worker.pid, 300, 60_000);
      const challenges = [];
      const login = await load({
        name: `${label} login #${round + 1}`,
        url: worker.url,
        amount: users.length,
        expect: [242],
        pids: [worker.pid],
        logs: worker.lines,
        requests: [loginRequest(headers, users, (challenge) => challenges.push(challenge))],
      });
      const complete = await load({
        name: `${label} two-factor/login #${round + 1}`,
        url: worker.url,
        amount: challenges.length,
        pids: [worker.pid],
        logs: worker.lines,
        requests: [codeRequest(challenges)],
      });
      let k = 0;
      const send = twilio
        ? await load({
            name: `${label} two-factor/send #${round + 1}`,
            url: worker.url,
            amount: users.length,
            pids: [worker.pid],
            logs: worker.lines,
            requests: [
              {
                method: "POST",
                path: "/api/two-factor/send",
                headers,
                setupRequest: (req) => ({ ...req, body: JSON.stringify({ userId: users[k++].id }) }),
              },
            ],
          })
        : null;
      rows.push({
        build: label,
        round: round + 1,
        loginRps: login.requestsPerSecond,
        loginCpuMs: login.serverCpuMsPerRequest[0],
        loginP99: login.latencyMs.p99,
        tflRps: complete.requestsPerSecond,
        tflCpuMs: complete.serverCpuMsPerRequest[0],
        tflP99: complete.latencyMs.p99,
        ...(send && { sendRps: send.requestsPerSecond, sendCpuMs: send.serverCpuMsPerRequest[0] }),
        unexpected: login.unexpected + complete.unexpected + (send?.unexpected ?? 0),
      });
    }
  }
  console.table(rows);
  for (const { label, scriptPath } of setups) {
    const mine = rows.filter((row) => row.build === label);
    const median = (key) => mine.map((row) => row[key]).sort((a, b) => a - b)[Math.floor(mine.length / 2)];
    console.log(
      `${label} ${scriptPath}: median login ${median("loginRps")} req/s (${median("loginCpuMs")} ms CPU), two-factor/login ${median("tflRps")} req/s (${median("tflCpuMs")} ms CPU, p99 ${median("tflP99")} ms)${twilio ? `, send ${median("sendRps")} req/s (${median("sendCpuMs")} ms CPU)` : ""}; unexpected ${mine.reduce((s, r) => s + r.unexpected, 0)}`,
    );
  }
} finally {
  await cleanupAll();
}
