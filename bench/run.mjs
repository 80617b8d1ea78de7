#!/usr/bin/env node
// The benchmark suite (`npm run bench`). See bench/README.md for what each number means.
//
//   npm run bench [-- --users 1000 --scale-users 10000 --requests 900 --rounds 5 --duration 5 --connections 32 --storage shm --no-pin]
//
// 1. Micro-benchmark of TOTP verification in Node (bench/totp-micro.mjs).
// 2. Builds the Worker once (`wrangler deploy --dry-run`) and runs it, and the reference Worker
//    bench/baseline/worker.mjs, each in its own workerd through Miniflare's API (no `wrangler dev`,
//    whose proxy caps this machine near 2k req/s), plus the fake Twilio.
// 3. Seeds users through the real API, measures every endpoint with autocannon (bounded runs, all
//    on 127.0.0.1), repeats the login benchmarks over a 10× larger user population (imported), and
//    prints absolute numbers, ratios to the baseline and the issue's targets.
// Raw results: bench/results/latest.json. Every process started here is stopped by PID at the end,
// on error and on Ctrl-C.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { load, pool, round } from "./lib/load.mjs";
import {
  buildWorker,
  cleanupAll,
  memoryOf,
  openSqliteDatabases,
  pinLoadGenerator,
  randomSecrets,
  run,
  startFakeTwilio,
  startWorker,
  tempDir,
  waitForOpenDatabases,
  WORKER_DURABLE_OBJECTS,
} from "./lib/servers.mjs";
import { APPLICATION_ID, codeRequest, END_USER_IP, fakeTwilioIntegration, loginRequest, PASSWORD, phoneOf } from "./lib/requests.mjs";
import { checkAgainstOtplib, hotp, newSecret, PERIOD_MS, stepAt } from "./lib/totp.mjs";
import { importTwoFactorUsers, PASSWORD_FACTOR, twoFactorUsers } from "./lib/users.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    "scale-users": { type: "string", default: "10000" },
    requests: { type: "string" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "5" },
    storage: { type: "string", default: "shm" },
    out: { type: "string", default: join(ROOT, "bench/results/latest.json") },
    quick: { type: "boolean", default: false },
    // Leaves every process free to run on any CPU (see PIN below).
    "no-pin": { type: "boolean", default: false },
    // To measure a change to src/ without touching the tree: copy it under bench/scratch/ (so
    // node_modules resolve), patch the copy, and pass the copy's wrangler.toml
    // (e.g. --config bench/scratch/variant/wrangler.toml --only real,scale).
    config: { type: "string", default: join(ROOT, "wrangler.toml") },
    only: { type: "string", default: "micro,baseline,real,scale" },
  },
});
const PHASES = new Set(args.only.split(",").map((phase) => phase.trim()));
for (const phase of PHASES) if (!["micro", "baseline", "real", "scale"].includes(phase)) throw new Error(`--only: unknown phase ${phase}`);
if (PHASES.has("scale") && !PHASES.has("real")) throw new Error("--only: scale needs real");
const QUICK = args.quick;
const USERS = QUICK ? 200 : Number(args.users);
const SCALE_USERS = QUICK ? 2000 : Number(args["scale-users"]);
const TWO_FACTOR_USERS = Math.round(USERS * 0.9);
const PLAIN_USERS = USERS - TWO_FACTOR_USERS;
// Login and two-factor login requests per round: by default one per 2FA user of the small
// population, and as many distinct users of the large one. Not more: each login opens a guard
// and creates a challenge, and more than ≈ 2,800 live objects exceed local workerd's SQLite
// limit (see SETTLED_DATABASES). Each user completes a login once per round, with the code of a
// step not accepted before (waitForCodeSlots waits for the next 30 s step when needed).
const LOGIN_REQUESTS = Number(args.requests ?? TWO_FACTOR_USERS);
const DURATION = QUICK ? 2 : Number(args.duration);
const CONNECTIONS = Number(args.connections);
// The login benchmarks are short (one request per user), so each runs in several rounds and the
// median round is reported, with every round kept in the raw results.
const ROUNDS = Number(args.rounds);
const STORAGE = args.storage;
if (!["shm", "disk"].includes(STORAGE)) throw new Error("--storage must be shm (tmpfs, default) or disk (the temp dir's filesystem)");
if (LOGIN_REQUESTS > TWO_FACTOR_USERS) throw new Error(`--requests may be at most the number of 2FA users (${TWO_FACTOR_USERS})`);

// Local workerd limits SQLite to 512 MiB per process: about 2,800 open Durable Objects. An object
// closes ~10–15 s after its last request, so benchmarks that create objects start only once the
// previous ones have closed, and the import is paced on the open count.
const SETTLED_DATABASES = 300;
const IMPORT_MAX_OPEN_DATABASES = 2_000;

// The Workers on a CPU of their own, the load generator and the fake Twilio on another (bench/README
// "CPU pinning"): on a two-core machine, unpinned, they trade cores mid-round and the same round's
// CPU per request varied by up to 1.8×.
const PIN = pinLoadGenerator(!args["no-pin"]);

const results = {
  startedAt: new Date().toISOString(),
  source: gitDescribe(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
  options: {
    phases: [...PHASES],
    config: args.config,
    rounds: ROUNDS,
    users: USERS,
    twoFactorUsers: TWO_FACTOR_USERS,
    plainUsers: PLAIN_USERS,
    scaleUsers: SCALE_USERS,
    loginRequests: LOGIN_REQUESTS,
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    storage: STORAGE,
    pinnedCpus: PIN && { workers: PIN.workers, load: PIN.load },
    passwordFactor: PASSWORD_FACTOR,
  },
  micro: null,
  seeding: {},
  benches: {},
  memory: {},
  comparisons: [],
  targets: [],
};
const bench = (summary) => (results.benches[summary.name] = summary);

/** The commit measured, and whether src/ or wrangler.toml differed from it (others may be editing). */
function gitDescribe() {
  try {
    const git = (...argv) => execFileSync("git", argv, { cwd: ROOT, encoding: "utf8" }).trim();
    return { commit: git("rev-parse", "--short", "HEAD"), uncommittedChanges: git("status", "--porcelain", "--", "src", "wrangler.toml") !== "" };
  } catch {
    return null;
  }
}

async function main() {
  const t0 = performance.now();
  checkAgainstOtplib();

  if (PHASES.has("micro")) {
    console.log("== TOTP micro-benchmark ==");
    const microJson = join(tempDir("bench-micro-"), "micro.json");
    process.stdout.write(
      await run(process.execPath, [join(ROOT, "bench/totp-micro.mjs"), "--json", microJson, ...(QUICK ? ["--seconds", "0.5"] : [])], { cwd: ROOT }),
    );
    results.micro = JSON.parse(readFileSync(microJson, "utf8"));
  }
  if (!PHASES.has("baseline") && !PHASES.has("real")) return finish(t0);

  let scriptPath;
  if (PHASES.has("real")) {
    console.log("\n== Build (wrangler deploy --dry-run) ==");
    scriptPath = await buildWorker(ROOT, "worker", args.config);
    console.log(`  ${args.config} → ${scriptPath}`);
  }

  console.log(`\n== Start (Miniflare ${STORAGE === "shm" ? "with state on tmpfs" : "with state on disk"}) ==`);
  console.log(PIN ? `  Workers pinned to CPU ${PIN.workers}, load generator and fake Twilio to CPU ${PIN.load}` : "  nothing pinned");
  const baseline = PHASES.has("baseline")
    ? await startWorker({ name: "baseline", storage: STORAGE, scriptPath: join(ROOT, "bench/baseline/worker.mjs"), durableObjects: { COUNTER: "Counter" } })
    : null;
  if (baseline) console.log(`  baseline ${baseline.url} (workerd pid ${baseline.pid})`);
  if (baseline) PIN?.pinWorker(baseline.pid);
  const floorRound = baseline ? await baselineBenches(baseline) : null;
  if (PHASES.has("real")) {
    const twilio = await startFakeTwilio(ROOT);
    const secrets = randomSecrets();
    const real = await startWorker({
      name: "real",
      storage: STORAGE,
      scriptPath,
      durableObjects: WORKER_DURABLE_OBJECTS,
      bindings: {
        ...secrets,
        LOGIN_REQUIRES_API_KEY: "true",
        DEFAULT_PHONE_REGION: "US",
        PASSWORD_FACTOR: String(PASSWORD_FACTOR),
        // Two of the SMS guard's caps would refuse what is measured: 2,700 texts in an hour (1,000 in
        // all by default), and 1,800 login sends from one client address (127.0.0.1; 30 an hour by
        // default). Raised, the guard does the same work per text (the same checks and calls, which
        // count) and lets it through. The per-phone and per-range caps stay at their defaults.
        SMS_MAX_PER_HOUR: "1000000",
        SMS_MAX_PER_IP_PER_HOUR: "1000000",
      },
    });
    PIN?.pinWorker(real.pid);
    console.log(`  real ${real.url} (workerd pid ${real.pid}), fake Twilio ${twilio.url} (pid ${twilio.pid})`);
    await realBenches(real, twilio, secrets, floorRound);
  } else if (floorRound) {
    for (let round = 0; round < ROUNDS; round++) await floorRound(round);
  }
  if (baseline) results.memory.baselineWorkerdAtEnd = memoryOf(baseline.pid);
  return finish(t0);
}

function finish(t0) {
  results.totalSeconds = round((performance.now() - t0) / 1000, 1);
  evaluate();
  report();
  printTargets();
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(results, null, 2));
  console.log(`\nRaw results: ${args.out} (${results.totalSeconds} s)`);
}

async function baselineBenches(baseline) {
  console.log("\n== Baseline Worker ==");
  const kv = await baseline.mf.getKVNamespace("KV");
  const sampleRecord = (n) =>
    JSON.stringify({
      id: String(n),
      email: `bench${n}@example.com`,
      tenantId: "00000000-0000-4000-8000-000000000001",
      active: true,
      verified: true,
      password: {
        encryptionScheme: "salted-pbkdf2-hmac-sha256",
        factor: 24000,
        salt: randomBytes(32).toString("base64"),
        hash: randomBytes(32).toString("base64"),
      },
      twoFactorEnabled: true,
      twoFactorDelivery: "None",
      twoFactorSecret: randomBytes(90).toString("base64url"),
      insertInstant: Date.now(),
      lastUpdateInstant: Date.now(),
      passwordLastUpdateInstant: Date.now(),
      mobilePhone: phoneOf(n),
    });
  await pool(
    Array.from({ length: Math.max(1000, LOGIN_REQUESTS) }, (_, n) => n),
    16,
    (n) => kv.put(`v1:user:${n}`, sampleRecord(n)),
  );
  // SQLite databases open before any Durable Object exists (KV, cache): "every object closed".
  const idleDatabases = openSqliteDatabases(baseline.pid);
  const rotating = (prefix, count) => {
    let i = 0;
    return (req) => ({ ...req, path: `${prefix}${i++ % count}` });
  };
  const JSON_POST = { "Content-Type": "application/json" };
  // Creating an object costs far more locally than using one (a new SQLite database), so /do is
  // measured over 1,000 objects that exist and are in memory, like a user's guard during a login;
  // the creation cost is measured separately.
  bench(
    await load({
      name: "baseline /do (new object each)",
      url: baseline.url,
      amount: 1000,
      connections: CONNECTIONS,
      requests: [{ method: "GET", setupRequest: rotating("/do?n=", 1000) }],
      pids: [baseline.pid],
    }),
  );
  bench(
    await load({
      name: "baseline /empty",
      url: baseline.url,
      duration: DURATION,
      connections: CONNECTIONS,
      requests: [{ method: "GET", path: "/empty" }],
      pids: [baseline.pid],
    }),
  );
  bench(
    await load({
      name: "baseline /do",
      url: baseline.url,
      duration: DURATION,
      connections: CONNECTIONS,
      requests: [{ method: "GET", setupRequest: rotating("/do?n=", 1000) }],
      pids: [baseline.pid],
    }),
  );
  // The body of /2fa-floor, measured below after each /login-floor round.
  const code = JSON.stringify({ twoFactorId: randomBytes(32).toString("base64url"), code: "123456", applicationId: APPLICATION_ID, ipAddress: END_USER_IP });
  bench(
    await load({
      name: "baseline /kv",
      url: baseline.url,
      duration: DURATION,
      connections: CONNECTIONS,
      requests: [{ method: "GET", setupRequest: rotating("/kv?n=", 1000) }],
      pids: [baseline.pid],
    }),
  );
  bench(
    await load({
      name: "baseline /pbkdf2",
      url: baseline.url,
      duration: DURATION,
      connections: CONNECTIONS,
      requests: [{ method: "POST", path: "/pbkdf2", headers: JSON_POST, body: "{}" }],
      pids: [baseline.pid],
    }),
  );

  // /login-floor needs a user's object that is closed, as between two logins of that user: a
  // population of LOGIN_REQUESTS objects is created once (→ 201), then each round waits until every
  // object has closed (≈ 10 s idle, as settle() does for the real Worker's login rounds) and hits
  // each object once (→ 200, reopened; 409 if one was still in memory).
  console.log(`  (creating ${LOGIN_REQUESTS} objects for /login-floor; each round waits for them to close)`);
  const login = JSON.stringify({ loginId: "bench0@example.com", password: PASSWORD, applicationId: APPLICATION_ID, ipAddress: END_USER_IP });
  const api = apiClient(baseline.url);
  await pool(
    Array.from({ length: LOGIN_REQUESTS }, (_, n) => n),
    8,
    (n) => expectStatus(api("POST", `/login-floor?n=${n}`, {}), 201, `create object ${n}`),
  );
  // /2fa-floor runs in the shape of the real code step: right after each password round, each
  // object (just reopened) once, the same count and connections, so both see the same load. The
  // floor rounds are interleaved with the real Worker's rounds at the small population (one floor
  // round before each real round, see realBenches), so that both meet the same background load.
  const rounds = [];
  const codeRounds = [];
  return async function floorRound(round) {
    await settle(baseline, idleDatabases);
    rounds.push(
      await load({
        name: `baseline /login-floor #${round + 1}`,
        url: baseline.url,
        amount: LOGIN_REQUESTS,
        connections: CONNECTIONS,
        requests: [{ method: "POST", headers: JSON_POST, body: login, setupRequest: rotating("/login-floor?n=", LOGIN_REQUESTS) }],
        pids: [baseline.pid],
      }),
    );
    codeRounds.push(
      await load({
        name: `baseline /2fa-floor #${round + 1}`,
        url: baseline.url,
        amount: LOGIN_REQUESTS,
        connections: CONNECTIONS,
        requests: [{ method: "POST", headers: JSON_POST, body: code, setupRequest: rotating("/2fa-floor?on=closed&n=", LOGIN_REQUESTS) }],
        pids: [baseline.pid],
      }),
    );
    if (rounds.length < ROUNDS) return;
    // Interleaved with the real Worker's rounds unless the real Worker is not run (--only baseline).
    const interleaved = PHASES.has("real");
    benchMedian("baseline /login-floor", rounds, { interleaved });
    benchMedian("baseline /2fa-floor", codeRounds, { interleaved });
    results.memory.baselineWorkerd = memoryOf(baseline.pid);
  };
}

async function realBenches(real, twilio, secrets, floorRound) {
  const api = apiClient(real.url, secrets.API_KEYS);
  const JSON_AUTH = { Authorization: secrets.API_KEYS, "Content-Type": "application/json" };
  await expectStatus(api("PUT", "/api/integration", fakeTwilioIntegration(twilio.url)), 200, "configure Twilio");

  console.log(`\n== Seed ${USERS} users through POST /api/user (PBKDF2 ${PASSWORD_FACTOR}), enable authenticator 2FA on ${TWO_FACTOR_USERS} ==`);
  const users = Array.from({ length: USERS }, (_, index) => ({
    index,
    email: `bench${index}@example.com`,
    phone: phoneOf(index),
    twoFactor: index < TWO_FACTOR_USERS,
    last: -1,
  }));
  let started = performance.now();
  await pool(users, 8, async (user) => {
    const response = await expectStatus(
      api("POST", "/api/user", { user: { email: user.email, password: PASSWORD, mobilePhone: user.phone } }),
      200,
      `create ${user.email}`,
    );
    user.id = response.body.user.id;
  });
  results.seeding.createUsersPerSecond = round(USERS / ((performance.now() - started) / 1000), 1);
  started = performance.now();
  await pool(
    users.filter((user) => user.twoFactor),
    8,
    async (user) => {
      Object.assign(user, newSecret());
      // The previous step's code (inside the ±1 window) leaves steps `now` and `now + 1` free for
      // two logins per user; if the step turned meanwhile, retry with the current one.
      for (const offset of [-1, 0]) {
        const step = stepAt() + offset;
        const response = await api("PUT", `/api/user/two-factor/${user.id}`, { code: hotp(user.key, step), secret: user.secret, delivery: "None" });
        if (response.status === 200) {
          user.last = step;
          return;
        }
        if (response.status !== 421 || offset === 0) throw new Error(`enable 2FA for ${user.email}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
      }
    },
  );
  results.seeding.enableTwoFactorPerSecond = round(TWO_FACTOR_USERS / ((performance.now() - started) / 1000), 1);
  console.log(`  ${results.seeding.createUsersPerSecond} users/s created, ${results.seeding.enableTwoFactorPerSecond} enables/s`);

  console.log(`\n== Real Worker, ${USERS} users ==`);
  bench(
    await load({
      name: "GET /api/status",
      url: real.url,
      duration: DURATION,
      connections: CONNECTIONS,
      requests: [{ method: "GET", path: "/api/status" }],
      pids: [real.pid],
      logs: real.lines,
    }),
  );
  bench(
    await load({
      name: "GET /api/two-factor/secret",
      url: real.url,
      duration: DURATION,
      connections: CONNECTIONS,
      requests: [{ method: "GET", path: "/api/two-factor/secret", headers: { Authorization: secrets.API_KEYS } }],
      pids: [real.pid],
      logs: real.lines,
    }),
  );
  const plainUsers = users.filter((user) => !user.twoFactor);
  bench(
    await load({
      name: "POST /api/login (no 2FA → 200)",
      url: real.url,
      duration: DURATION,
      connections: CONNECTIONS,
      expect: [200],
      requests: [loginRequest(JSON_AUTH, plainUsers, () => {})],
      pids: [real.pid],
      logs: real.lines,
    }),
  );
  results.memory.realWorkerdAfterSeeding = memoryOf(real.pid);

  // ---------------------------------------------------------------- 10× users, imported
  // Before the login rounds, which take the two populations in turn.
  const scaleUsers = twoFactorUsers(PHASES.has("scale") ? SCALE_USERS : 0, { prefix: "scale", first: USERS });
  if (scaleUsers.length) {
    console.log(`\n== Import ${SCALE_USERS} more users (POST /api/user/import, 100 per request, precomputed PBKDF2 hash, twoFactorSecret set) ==`);
    started = performance.now();
    const importWaitMs = await importTwoFactorUsers({
      url: real.url,
      headers: JSON_AUTH,
      pid: real.pid,
      users: scaleUsers,
      maxOpenDatabases: IMPORT_MAX_OPEN_DATABASES,
    });
    const importSeconds = (performance.now() - started) / 1000;
    results.seeding.importUsersPerSecond = round(SCALE_USERS / importSeconds, 1);
    results.seeding.importUsersPerSecondExcludingPacing = round(SCALE_USERS / (importSeconds - importWaitMs / 1000), 1);
    console.log(
      `  ${results.seeding.importUsersPerSecond} users/s imported (${results.seeding.importUsersPerSecondExcludingPacing}/s not counting ${(importWaitMs / 1000).toFixed(0)} s spent waiting for objects to close)`,
    );
  }

  console.log(
    `\n== Login rounds: ${LOGIN_REQUESTS} logins and their codes per round, ${ROUNDS} rounds${scaleUsers.length ? `, ${USERS} and ${SCALE_USERS} users in turn` : ""} ==`,
  );
  const enrolledUsers = users.filter((user) => user.twoFactor);
  const populations = [{ population: `${USERS}`, usersOfRound: () => enrolledUsers.slice(0, LOGIN_REQUESTS) }];
  if (scaleUsers.length) {
    // Spread over the whole population, a different user for every request of every round:
    // request i of round r goes to user ⌊i·M/R⌋ + r.
    const count = Math.min(LOGIN_REQUESTS, Math.floor(SCALE_USERS / ROUNDS));
    const usersOfRound = (round) => Array.from({ length: count }, (_, i) => scaleUsers[Math.floor((i * SCALE_USERS) / count) + round]);
    populations.push({ population: `${SCALE_USERS}`, usersOfRound });
  }
  await loginRounds(real, JSON_AUTH, populations, floorRound);

  // Each request texts a different user, so each goes to its own phone: the per-phone spacing
  // (30 s) and hourly cap (10) are never what is measured, and their defaults stay in force.
  const sendUsers = enrolledUsers.slice(0, Math.min(enrolledUsers.length, LOGIN_REQUESTS));
  let sendIndex = 0;
  await settle(real);
  bench(
    await load({
      name: "POST /api/two-factor/send",
      url: real.url,
      amount: sendUsers.length,
      connections: CONNECTIONS,
      requests: [
        {
          method: "POST",
          path: "/api/two-factor/send",
          headers: JSON_AUTH,
          setupRequest: (req) => ({ ...req, body: JSON.stringify({ userId: sendUsers[sendIndex++ % sendUsers.length].id }) }),
        },
      ],
      pids: [real.pid, twilio.pid],
      logs: real.lines,
    }),
  );
  // A send during a login (POST /api/two-factor/send/{twoFactorId}, no API key), one per user of
  // `users`: the password step has just opened the user's object, as it has when someone asks for a
  // text. The logins that open these challenges are not a measurement (the login rounds above are).
  const benchLoginSends = async (name, logins, users, send) => {
    await settle(real);
    const pending = [];
    await load({
      name: logins,
      url: real.url,
      amount: users.length,
      connections: CONNECTIONS,
      expect: [242],
      requests: [loginRequest(JSON_AUTH, users, (challenge) => pending.push(challenge))],
      pids: [real.pid],
      logs: real.lines,
    });
    let index = 0;
    bench(
      await load({
        name,
        url: real.url,
        amount: pending.length,
        connections: CONNECTIONS,
        requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...send(pending[index++]) }) }],
        pids: [real.pid, twilio.pid],
        logs: real.lines,
      }),
    );
  };
  // The resend: no body, the legacy code again.
  await benchLoginSends("POST /api/two-factor/send/{twoFactorId}", "(logins for the resends)", sendUsers, ({ twoFactorId }) => ({
    path: `/api/two-factor/send/${twoFactorId}`,
  }));
  // Its 1.26+ form, `{methodId}` (the client's sendTwoFactorCodeForLoginUsingMethod), for as many
  // users imported with one sms method and no authenticator: phones not texted above. Their logins
  // text nothing; the import is not a measurement either.
  console.log(`  (importing ${sendUsers.length} users with an sms method for the sends by methodId)`);
  const smsUsers = twoFactorUsers(sendUsers.length, { prefix: "sms", first: USERS + SCALE_USERS, sms: true });
  await importTwoFactorUsers({ url: real.url, headers: JSON_AUTH, pid: real.pid, users: smsUsers, maxOpenDatabases: IMPORT_MAX_OPEN_DATABASES });
  await benchLoginSends("POST /api/two-factor/send/{twoFactorId} {methodId}", "(logins for the sends by methodId)", smsUsers, ({ twoFactorId, methods }) => ({
    path: `/api/two-factor/send/${twoFactorId}`,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ methodId: methods.find((method) => method.method === "sms").id }),
  }));
  results.memory.realWorkerdAtEnd = memoryOf(real.pid);
  results.memory.fakeTwilio = memoryOf(twilio.pid);
}

/** Waits until the Worker's Durable Objects from earlier benchmarks have closed (see SETTLED_DATABASES). */
async function settle(worker, max = SETTLED_DATABASES) {
  const open = openSqliteDatabases(worker.pid);
  const waited = await waitForOpenDatabases(worker.pid, max);
  if (waited > 500) console.log(`  (waited ${(waited / 1000).toFixed(1)} s for ${open} open Durable Objects to close)`);
}

/**
 * The login of 2FA users (→ 242), then completing each of those logins with a valid fresh code
 * (→ 200): one challenge per request, in the order they were created. Each round starts once the
 * previous round's objects have closed, so every login finds its user's guard cold (as a real
 * login usually does) and every completion finds its challenge and guard warm (seconds old).
 */
async function loginRounds(real, headers, populations, floorRound = null) {
  const rounds = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [index, { population, usersOfRound }] of populations.entries()) {
      const loginName = `POST /api/login (2FA → 242) [${population} users]`;
      const completeName = `POST /api/two-factor/login [${population} users]`;
      const users = usersOfRound(round);
      // Before the password round, so that the code round follows it at once (objects still open):
      // waiting between the two would let the objects close.
      await waitForCodeSlots(users.map((user) => ({ user })));
      if (index === 0) await floorRound?.(round);
      await settle(real);
      const challenges = [];
      (rounds[loginName] ??= []).push(
        await load({
          name: `${loginName} #${round + 1}`,
          url: real.url,
          amount: users.length,
          connections: CONNECTIONS,
          expect: [242],
          requests: [loginRequest(headers, users, (c) => challenges.push(c))],
          pids: [real.pid],
          logs: real.lines,
        }),
      );
      (rounds[completeName] ??= []).push(
        await load({
          name: `${completeName} #${round + 1}`,
          url: real.url,
          amount: challenges.length,
          connections: CONNECTIONS,
          expect: [200],
          requests: [codeRequest(challenges)],
          pids: [real.pid],
          logs: real.lines,
        }),
      );
    }
  }
  for (const [name, summaries] of Object.entries(rounds)) benchMedian(name, summaries);
}

/** Per round, floor CPU ÷ real CPU, when `real` and `floor` ran in interleaved rounds (see floorRound). */
function pairedRatios(real, floor) {
  if (!floor.interleaved || !real.rounds || real.rounds.length !== floor.rounds.length) return null;
  return real.rounds.map((round_, i) => round(floor.rounds[i].serverCpuMsPerRequest[0] / round_.serverCpuMsPerRequest[0], 3));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Records the median of several rounds by req/s, with every round kept and every round's failures counted. */
function benchMedian(name, summaries, extra = {}) {
  const middle = [...summaries].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(summaries.length / 2)];
  bench({
    ...middle,
    ...extra,
    name,
    medianOf: summaries.length,
    rounds: summaries,
    unexpected: summaries.reduce((sum, s) => sum + s.unexpected, 0),
    unexpectedStatuses: summaries.reduce((sum, s) => sum + s.unexpectedStatuses, 0),
    transportFailures: summaries.reduce((sum, s) => sum + s.transportFailures, 0),
    non2xx: summaries.reduce((sum, s) => sum + s.non2xx, 0),
  });
}

/** Waits for the next 30 s step if some user has not enough unconsumed steps in {now, now + 1} for its challenges. */
async function waitForCodeSlots(challenges) {
  const uses = new Map();
  for (const { user } of challenges) uses.set(user, (uses.get(user) ?? 0) + 1);
  const enough = () => {
    const now = stepAt();
    return [...uses].every(([user, count]) => now + 2 - Math.max(now, user.last + 1) >= count);
  };
  if (enough()) return;
  const waitMs = PERIOD_MS - (Date.now() % PERIOD_MS) + 50;
  console.log(`  (waiting ${(waitMs / 1000).toFixed(1)} s for the next TOTP step: some users already used this one)`);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  if (!enough()) throw new Error("not enough TOTP steps left for the two-factor login benchmark");
}

function apiClient(base, apiKey) {
  return async (method, path, body) => {
    const response = await fetch(base + path, {
      method,
      headers: { ...(apiKey && { Authorization: apiKey }), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed };
  };
}

async function expectStatus(promise, status, what) {
  const response = await promise;
  if (response.status !== status) throw new Error(`${what}: HTTP ${response.status} ${JSON.stringify(response.body)?.slice(0, 500)}`);
  return response;
}

// ---------------------------------------------------------------- evaluation and report

function evaluate() {
  const b = results.benches;
  const small = `${USERS}`;
  const large = `${SCALE_USERS}`;
  const tfl = `POST /api/two-factor/login [${small} users]`;
  const login = `POST /api/login (2FA → 242) [${small} users]`;
  const plain = "POST /api/login (no 2FA → 200)";
  // Each comparison: the real endpoint, what it is compared with, what that covers, and, for the
  // targets table, a short name and the goal for the CPU ratio (null: reported, no goal).
  const comparisons = [
    [tfl, "baseline /2fa-floor", "floor: RPC to an open object + AES-GCM decrypt + 3 HMAC-SHA1 + HS256 signature", "two-factor/login vs /2fa-floor", 0.85],
    [tfl, "baseline /do", "one RPC to an open object", "two-factor/login vs /do", null],
    [login, "baseline /login-floor", "floor: KV get + PBKDF2-SHA256 24k + RPC to a closed object", "login (2FA → 242) vs /login-floor", 0.9],
    [login, "baseline /pbkdf2", "PBKDF2-SHA256 24k alone", "login (2FA → 242) vs /pbkdf2", null],
    [plain, "baseline /login-floor", "floor: KV get + PBKDF2-SHA256 24k + RPC to a closed object", "login (no 2FA → 200) vs /login-floor", 0.9],
    [plain, "baseline /pbkdf2", "PBKDF2-SHA256 24k alone", "login (no 2FA → 200) vs /pbkdf2", null],
    [`POST /api/login (2FA → 242) [${large} users]`, login, "scale: same request count, 10× the users", `login (2FA → 242), ${large} vs ${small} users`, 0.9],
    [`POST /api/two-factor/login [${large} users]`, tfl, "scale: same request count, 10× the users", `two-factor/login, ${large} vs ${small} users`, 0.9],
    ["POST /api/two-factor/send/{twoFactorId}", "baseline /do", "one RPC to an open object", "two-factor/send/{twoFactorId} vs /do", 0.25],
    [
      "POST /api/two-factor/send/{twoFactorId} {methodId}",
      "baseline /do",
      "one RPC to an open object",
      "two-factor/send/{twoFactorId} {methodId} vs /do",
      0.25,
    ],
    ["POST /api/two-factor/send", "baseline /do", "one RPC to an open object", "two-factor/send {userId}, closed objects, vs /do", null],
    ["GET /api/two-factor/secret", "baseline /empty", "an empty response", "two-factor/secret vs /empty", 0.5],
    ["GET /api/status", "baseline /empty", "an empty response"],
  ];
  // value: the CPU ratio (baseline ÷ real, at least `goal`) or a measurement (at most `goal`); goal null: reported only.
  const target = (name, value, goal, { atMost = false, rpsRatio = null } = {}) =>
    results.targets.push({ name, value, rpsRatio, goal, atMost, met: goal === null ? null : atMost ? value <= goal : value >= goal });
  for (const [real, baseline, note, name, goal] of comparisons) {
    if (!b[real] || !b[baseline]) continue;
    const realCpuMs = b[real].serverCpuMsPerRequest[0];
    const baselineCpuMs = b[baseline].serverCpuMsPerRequest[0];
    const ratio = round(b[real].requestsPerSecond / b[baseline].requestsPerSecond, 3);
    // cpuRatio: the throughput ratio if workerd's CPU were the only limit (baseline CPU / real CPU).
    // For a floor measured in rounds interleaved with the real rounds, the median of the ratios of
    // each floor round and the real round that followed it: the two met the same background load.
    const pairedCpuRatios = pairedRatios(b[real], b[baseline]);
    const cpuRatio = pairedCpuRatios ? median(pairedCpuRatios) : round(baselineCpuMs / realCpuMs, 3);
    results.comparisons.push({
      real,
      baseline,
      realRps: b[real].requestsPerSecond,
      baselineRps: b[baseline].requestsPerSecond,
      ratio,
      realCpuMs,
      baselineCpuMs,
      cpuRatio,
      ...(pairedCpuRatios && { pairedCpuRatios }),
      note,
    });
    if (name) target(name, cpuRatio, goal, { rpsRatio: ratio });
  }

  const m = results.memory;
  if (m.realWorkerdAtEnd && m.baselineWorkerdAtEnd)
    target("workerd RSS after the run, MiB (real / baseline)", `${Math.round(m.realWorkerdAtEnd.rssMiB)} / ${Math.round(m.baselineWorkerdAtEnd.rssMiB)}`, null);
  if (b[tfl]) target(`two-factor/login p99 ms at ${CONNECTIONS} connections`, b[tfl].latencyMs.p99, 50, { atMost: true });
  if (Object.keys(b).length) {
    const unexpectedStatuses = Object.values(b).reduce((sum, s) => sum + s.unexpectedStatuses, 0);
    const transportFailures = Object.values(b).reduce((sum, s) => sum + s.transportFailures, 0);
    target("unexpected statuses", unexpectedStatuses, 0, { atMost: true });
    target("requests without a status (connection reset/closed, timeout)", transportFailures, 0, { atMost: true });
  }
  if (results.micro) target("TOTP verify (ours, in Node) vs node:crypto", round(results.micro.oursVsNode, 3), 0.5);
}

function report() {
  const rows = Object.values(results.benches).map((s) => [
    s.name,
    String(s.responses),
    String(Math.round(s.requestsPerSecond)),
    String(s.latencyMs.p50),
    String(s.latencyMs.p99),
    String(s.non2xx),
    String(s.unexpectedStatuses),
    String(s.transportFailures),
    s.serverCpuMsPerRequest[0].toFixed(2),
  ]);
  if (rows.length) {
    console.log(`\n== Results (${CONNECTIONS} connections, ${results.machine.cpus} cores, ${results.machine.cpuModel}) ==`);
    console.log(`(login benchmarks: the median of ${ROUNDS} rounds by req/s; the failure columns sum every round)`);
    printTable(["benchmark", "requests", "req/s", "p50 ms", "p99 ms", "non-2xx", "unexpected status", "no status", "workerd CPU ms/req"], rows);
  }
  if (results.comparisons.length) {
    console.log("\n== Ratios ==");
    printTable(
      ["real", "vs", "req/s ratio", "CPU ms/req (real / vs)", "CPU ratio"],
      results.comparisons.map((c) => [
        c.real,
        c.baseline,
        c.ratio.toFixed(2),
        `${c.realCpuMs.toFixed(2)} / ${c.baselineCpuMs.toFixed(2)}`,
        c.cpuRatio.toFixed(2),
      ]),
    );
  }
  const m = results.memory;
  const mib = (entry) => (entry ? `${entry.rssMiB.toFixed(0)} MiB` : "-");
  if (m.realWorkerdAtEnd || m.baselineWorkerd) {
    console.log(
      `\nworkerd RSS: real ${mib(m.realWorkerdAtEnd)} at the end (peak ${m.realWorkerdAtEnd ? m.realWorkerdAtEnd.peakRssMiB.toFixed(0) : "-"} MiB; ${mib(m.realWorkerdAfterSeeding)} after seeding ${USERS} users), baseline ${mib(m.baselineWorkerdAtEnd ?? m.baselineWorkerd)} at the end (${mib(m.baselineWorkerd)} after its own benchmarks)`,
    );
  }
  if (results.seeding.createUsersPerSecond) {
    console.log(
      `seeding: ${results.seeding.createUsersPerSecond} creates/s, ${results.seeding.enableTwoFactorPerSecond} 2FA enables/s${results.seeding.importUsersPerSecond ? `, ${results.seeding.importUsersPerSecond} imported users/s` : ""}`,
    );
  }
}

function printTargets() {
  if (!results.targets.length) return;
  console.log("\n== Targets (CPU ratio = baseline workerd CPU ms/req ÷ real; blank target = reported only) ==");
  const goal = (t) => (t.goal === null ? "" : `${t.atMost ? "≤" : "≥"} ${t.goal}`);
  printTable(
    ["name", "CPU ratio / value", "req/s ratio", "target", "met"],
    results.targets.map((t) => [
      t.name,
      typeof t.value === "number" && !Number.isInteger(t.value) ? t.value.toFixed(2) : String(t.value),
      t.rpsRatio === null ? "" : t.rpsRatio.toFixed(2),
      goal(t),
      t.met === null ? "" : t.met ? "yes" : "no",
    ]),
  );
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|")}|`);
  for (const row of rows) console.log(line(row));
}

main()
  .then(() => cleanupAll())
  .catch(async (error) => {
    console.error(`\n[bench] failed: ${error?.stack ?? error}`);
    await cleanupAll();
    process.exitCode = 1;
  });
