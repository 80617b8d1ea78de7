#!/usr/bin/env node
// The benchmark suite (`npm run bench`). See bench/README.md for what each number means.
//
//   npm run bench [-- --users 1000 --scale-users 10000 --requests 900 --rounds 3 --duration 5 --connections 32 --storage shm]
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
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { cpus, totalmem } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { load, pool, round } from "./lib/load.mjs";
import { cleanupAll, memoryOf, openSqliteDatabases, randomSecrets, run, startFakeTwilio, startWorker, tempDir, waitForOpenDatabases } from "./lib/servers.mjs";
import { checkAgainstOtplib, hotp, newSecret, PERIOD_MS, stepAt } from "./lib/totp.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    "scale-users": { type: "string", default: "10000" },
    requests: { type: "string" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" },
    storage: { type: "string", default: "shm" },
    out: { type: "string", default: join(ROOT, "bench/results/latest.json") },
    quick: { type: "boolean", default: false },
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

const PASSWORD = "bench-password-1";
const PASSWORD_FACTOR = 24_000;
const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
const DURABLE_OBJECTS = { USER_GUARD: "UserGuard", LOGIN_CHALLENGE: "LoginChallenge", IDENTIFIER_CLAIM: "IdentifierClaim", PHONE_THROTTLE: "PhoneThrottle" };

const results = {
  startedAt: new Date().toISOString(),
  source: gitDescribe(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
  options: { phases: [...PHASES], config: args.config, rounds: ROUNDS, users: USERS, twoFactorUsers: TWO_FACTOR_USERS, plainUsers: PLAIN_USERS, scaleUsers: SCALE_USERS, loginRequests: LOGIN_REQUESTS, durationSeconds: DURATION, connections: CONNECTIONS, storage: STORAGE, passwordFactor: PASSWORD_FACTOR },
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

/** A user's phone, unique up to 100,000 users: +1 212 555 0000, +1 213 555 0000, … ("possible" US numbers). */
const phoneOf = (index) => `+1${212 + Math.floor(index / 10_000)}555${String(index % 10_000).padStart(4, "0")}`;

async function main() {
  const t0 = performance.now();
  checkAgainstOtplib();

  if (PHASES.has("micro")) {
    console.log("== TOTP micro-benchmark ==");
    const microJson = join(tempDir("bench-micro-"), "micro.json");
    process.stdout.write(await run(process.execPath, [join(ROOT, "bench/totp-micro.mjs"), "--json", microJson, ...(QUICK ? ["--seconds", "0.5"] : [])], { cwd: ROOT }));
    results.micro = JSON.parse(readFileSync(microJson, "utf8"));
  }
  if (!PHASES.has("baseline") && !PHASES.has("real")) return finish(t0);

  console.log("\n== Build (wrangler deploy --dry-run) ==");
  const buildDir = join(ROOT, "bench/.build/worker");
  await run(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", args.config, "--outdir", buildDir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
  });
  console.log(`  ${args.config} → ${join(buildDir, "index.js")}`);

  console.log(`\n== Start (Miniflare ${STORAGE === "shm" ? "with state on tmpfs" : "with state on disk"}) ==`);
  const twilio = await startFakeTwilio(ROOT);
  const baseline = PHASES.has("baseline") ? await startWorker({ name: "baseline", storage: STORAGE, scriptPath: join(ROOT, "bench/baseline/worker.mjs"), durableObjects: { COUNTER: "Counter" } }) : null;
  const secrets = randomSecrets();
  const real = await startWorker({
    name: "real",
    storage: STORAGE,
    scriptPath: join(buildDir, "index.js"),
    durableObjects: DURABLE_OBJECTS,
    bindings: { ...secrets, LOGIN_REQUIRES_API_KEY: "true", DEFAULT_PHONE_REGION: "US", PASSWORD_FACTOR: String(PASSWORD_FACTOR) },
  });
  console.log(`  baseline ${baseline?.url} (workerd pid ${baseline?.pid}), real ${real.url} (workerd pid ${real.pid}), fake Twilio ${twilio.url} (pid ${twilio.pid})`);

  if (PHASES.has("baseline")) await baselineBenches(baseline);
  if (PHASES.has("real")) await realBenches(real, twilio, secrets);
  return finish(t0);
}

function finish(t0) {
  results.totalSeconds = round((performance.now() - t0) / 1000, 1);
  evaluate();
  report();
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, JSON.stringify(results, null, 2));
  console.log(`\nRaw results: ${args.out} (${results.totalSeconds} s)`);
}

async function baselineBenches(baseline) {
  console.log("\n== Baseline Worker ==");
  const kv = await baseline.mf.getKVNamespace("KV");
  const sampleRecord = (n) => JSON.stringify({ id: String(n), email: `bench${n}@example.com`, tenantId: "00000000-0000-4000-8000-000000000001", active: true, verified: true, password: { encryptionScheme: "salted-pbkdf2-hmac-sha256", factor: 24000, salt: randomBytes(32).toString("base64"), hash: randomBytes(32).toString("base64") }, twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: randomBytes(90).toString("base64url"), insertInstant: Date.now(), lastUpdateInstant: Date.now(), passwordLastUpdateInstant: Date.now(), mobilePhone: phoneOf(n) });
  await pool(Array.from({ length: 1000 }, (_, n) => n), 16, (n) => kv.put(`v1:user:${n}`, sampleRecord(n)));
  const rotating = (prefix, count) => {
    let i = 0;
    return (req) => ({ ...req, path: `${prefix}${i++ % count}` });
  };
  // Creating an object costs far more locally than using one (a new SQLite database), so /do is
  // measured over 1,000 objects that exist and are in memory, like a user's guard during a login;
  // the creation cost is measured separately.
  bench(await load({ name: "baseline /do (new object each)", url: baseline.url, amount: 1000, connections: CONNECTIONS, requests: [{ method: "GET", setupRequest: rotating("/do?n=", 1000) }], pids: [baseline.pid] }));
  bench(await load({ name: "baseline /empty", url: baseline.url, duration: DURATION, connections: CONNECTIONS, requests: [{ method: "GET", path: "/empty" }], pids: [baseline.pid] }));
  bench(await load({ name: "baseline /do", url: baseline.url, duration: DURATION, connections: CONNECTIONS, requests: [{ method: "GET", setupRequest: rotating("/do?n=", 1000) }], pids: [baseline.pid] }));
  bench(await load({ name: "baseline /kv", url: baseline.url, duration: DURATION, connections: CONNECTIONS, requests: [{ method: "GET", setupRequest: rotating("/kv?n=", 1000) }], pids: [baseline.pid] }));
  bench(await load({ name: "baseline /pbkdf2", url: baseline.url, duration: DURATION, connections: CONNECTIONS, requests: [{ method: "POST", path: "/pbkdf2", headers: { "Content-Type": "application/json" }, body: "{}" }], pids: [baseline.pid] }));
  results.memory.baselineWorkerd = memoryOf(baseline.pid);
}

async function realBenches(real, twilio, secrets) {
  const api = apiClient(real.url, secrets.API_KEYS);
  const JSON_AUTH = { Authorization: secrets.API_KEYS, "Content-Type": "application/json" };
  await expectStatus(api("PUT", "/api/integration", { integrations: { twilio: { enabled: true, accountSID: "AC" + "fa6e".repeat(8), authToken: "fake-twilio-auth-token", fromPhoneNumber: "+15005550006", url: twilio.url } } }), 200, "configure Twilio");

  console.log(`\n== Seed ${USERS} users through POST /api/user (PBKDF2 ${PASSWORD_FACTOR}), enable authenticator 2FA on ${TWO_FACTOR_USERS} ==`);
  const users = Array.from({ length: USERS }, (_, index) => ({ index, email: `bench${index}@example.com`, phone: phoneOf(index), twoFactor: index < TWO_FACTOR_USERS, last: -1 }));
  let started = performance.now();
  await pool(users, 8, async (user) => {
    const response = await expectStatus(api("POST", "/api/user", { user: { email: user.email, password: PASSWORD, mobilePhone: user.phone } }), 200, `create ${user.email}`);
    user.id = response.body.user.id;
  });
  results.seeding.createUsersPerSecond = round(USERS / ((performance.now() - started) / 1000), 1);
  started = performance.now();
  await pool(users.filter((user) => user.twoFactor), 8, async (user) => {
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
  });
  results.seeding.enableTwoFactorPerSecond = round(TWO_FACTOR_USERS / ((performance.now() - started) / 1000), 1);
  console.log(`  ${results.seeding.createUsersPerSecond} users/s created, ${results.seeding.enableTwoFactorPerSecond} enables/s`);

  console.log(`\n== Real Worker, ${USERS} users ==`);
  bench(await load({ name: "GET /api/status", url: real.url, duration: DURATION, connections: CONNECTIONS, requests: [{ method: "GET", path: "/api/status" }], pids: [real.pid], logs: real.lines }));
  bench(await load({ name: "GET /api/two-factor/secret", url: real.url, duration: DURATION, connections: CONNECTIONS, requests: [{ method: "GET", path: "/api/two-factor/secret", headers: { Authorization: secrets.API_KEYS } }], pids: [real.pid], logs: real.lines }));
  const plainUsers = users.filter((user) => !user.twoFactor);
  bench(await load({ name: "POST /api/login (no 2FA → 200)", url: real.url, duration: DURATION, connections: CONNECTIONS, expect: [200], requests: [loginRequest(JSON_AUTH, plainUsers, () => {})], pids: [real.pid], logs: real.lines }));
  const twoFactorUsers = users.filter((user) => user.twoFactor);
  await loginRounds(`${USERS}`, real, JSON_AUTH, () => twoFactorUsers.slice(0, LOGIN_REQUESTS));

  // Each request texts a different user, so each goes to its own phone: the per-phone spacing
  // (30 s) and hourly cap (10) are never what is measured, and the defaults stay in force.
  const sendUsers = twoFactorUsers.slice(0, Math.min(twoFactorUsers.length, LOGIN_REQUESTS));
  let sendIndex = 0;
  await settle(real);
  bench(await load({
    name: "POST /api/two-factor/send",
    url: real.url,
    amount: sendUsers.length,
    connections: CONNECTIONS,
    requests: [{ method: "POST", path: "/api/two-factor/send", headers: JSON_AUTH, setupRequest: (req) => ({ ...req, body: JSON.stringify({ userId: sendUsers[sendIndex++ % sendUsers.length].id }) }) }],
    pids: [real.pid, twilio.pid], logs: real.lines,
  }));
  results.memory.realWorkerdAfterSmallPopulation = memoryOf(real.pid);

  // ---------------------------------------------------------------- real Worker, 10× users
  if (PHASES.has("scale") && SCALE_USERS > 0) {
    console.log(`\n== Import ${SCALE_USERS} more users (POST /api/user/import, 100 per request, precomputed PBKDF2 hash, twoFactorSecret set) ==`);
    const salt = randomBytes(32);
    const hash = pbkdf2Sync(PASSWORD, salt, PASSWORD_FACTOR, 32, "sha256").toString("base64");
    const scaleUsers = Array.from({ length: SCALE_USERS }, (_, i) => ({ index: USERS + i, email: `scale${i}@example.com`, phone: phoneOf(USERS + i), twoFactor: true, last: -1, id: crypto.randomUUID(), ...newSecret() }));
    const chunks = [];
    for (let i = 0; i < scaleUsers.length; i += 100) chunks.push(scaleUsers.slice(i, i + 100));
    started = performance.now();
    let importWaitMs = 0;
    await pool(chunks, 1, async (chunk) => {
      importWaitMs += await waitForOpenDatabases(real.pid, IMPORT_MAX_OPEN_DATABASES, 60_000);
      await expectStatus(api("POST", "/api/user/import", {
        users: chunk.map((user) => ({ id: user.id, email: user.email, mobilePhone: user.phone, password: hash, salt: salt.toString("base64"), factor: PASSWORD_FACTOR, encryptionScheme: "salted-pbkdf2-hmac-sha256", twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: user.secret })),
      }), 200, "import");
    });
    const importSeconds = (performance.now() - started) / 1000;
    results.seeding.importUsersPerSecond = round(SCALE_USERS / importSeconds, 1);
    results.seeding.importUsersPerSecondExcludingPacing = round(SCALE_USERS / (importSeconds - importWaitMs / 1000), 1);
    console.log(`  ${results.seeding.importUsersPerSecond} users/s imported (${results.seeding.importUsersPerSecondExcludingPacing}/s not counting ${(importWaitMs / 1000).toFixed(0)} s spent waiting for objects to close)`);

    console.log(`\n== Real Worker, ${SCALE_USERS} more users: the same ${LOGIN_REQUESTS} logins, each on a different user ==`);
    // Spread over the whole population: request i goes to user ⌊i·M/R⌋.
    // Spread over the whole population, a different user for every request of every round:
    // request i of round r goes to user ⌊i·M/R⌋ + r.
    const count = Math.min(LOGIN_REQUESTS, Math.floor(SCALE_USERS / ROUNDS));
    await loginRounds(`${SCALE_USERS}`, real, JSON_AUTH, (round) => Array.from({ length: count }, (_, i) => scaleUsers[Math.floor((i * SCALE_USERS) / count) + round]));
  }

  results.memory.realWorkerdAtEnd = memoryOf(real.pid);
  results.memory.fakeTwilio = memoryOf(twilio.pid);
}

/** Waits until the Worker's Durable Objects from earlier benchmarks have closed (see SETTLED_DATABASES). */
async function settle(real) {
  const open = openSqliteDatabases(real.pid);
  const waited = await waitForOpenDatabases(real.pid, SETTLED_DATABASES);
  if (waited > 500) console.log(`  (waited ${(waited / 1000).toFixed(1)} s for ${open} open Durable Objects to close)`);
}

function loginRequest(headers, users, onChallenge) {
  let i = 0;
  return {
    method: "POST",
    path: "/api/login",
    headers,
    setupRequest(req, context) {
      const user = users[i++ % users.length];
      context.user = user;
      return { ...req, body: JSON.stringify({ loginId: user.email, password: PASSWORD, applicationId: APPLICATION_ID, ipAddress: "192.0.2.10" }) };
    },
    onResponse(status, body, context) {
      if (status === 242) onChallenge({ user: context.user, twoFactorId: JSON.parse(body).twoFactorId });
    },
  };
}

/**
 * The login of 2FA users (→ 242), then completing each of those logins with a valid fresh code
 * (→ 200): one challenge per request, in the order they were created. Each round starts once the
 * previous round's objects have closed, so every login finds its user's guard cold (as a real
 * login usually does) and every completion finds its challenge and guard warm (seconds old).
 */
async function loginRounds(population, real, headers, usersOfRound) {
  const loginName = `POST /api/login (2FA → 242) [${population} users]`;
  const completeName = `POST /api/two-factor/login [${population} users]`;
  const rounds = { [loginName]: [], [completeName]: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const users = usersOfRound(round);
    await settle(real);
    const challenges = [];
    rounds[loginName].push(await load({ name: `${loginName} #${round + 1}`, url: real.url, amount: users.length, connections: CONNECTIONS, expect: [242], requests: [loginRequest(headers, users, (c) => challenges.push(c))], pids: [real.pid], logs: real.lines }));
    await waitForCodeSlots(challenges);
    let i = 0;
    rounds[completeName].push(await load({
      name: `${completeName} #${round + 1}`,
      url: real.url,
      amount: challenges.length,
      connections: CONNECTIONS,
      expect: [200],
      requests: [{
        method: "POST",
        path: "/api/two-factor/login",
        headers: { "Content-Type": "application/json" },
        setupRequest(req) {
          const { user, twoFactorId } = challenges[i++];
          // The oldest step the replay guard still allows, never older than now: `now - 1` would
          // fail if the server's clock turned a step between here and there.
          const step = Math.max(stepAt(), user.last + 1);
          user.last = step;
          return { ...req, body: JSON.stringify({ twoFactorId, code: hotp(user.key, step), applicationId: APPLICATION_ID, ipAddress: "192.0.2.10" }) };
        },
      }],
      pids: [real.pid], logs: real.lines,
    }));
  }
  for (const [name, summaries] of Object.entries(rounds)) {
    const median = [...summaries].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(summaries.length / 2)];
    bench({
      ...median,
      name,
      medianOf: summaries.length,
      rounds: summaries,
      // Every round's failures count, not just the median round's.
      unexpected: summaries.reduce((sum, s) => sum + s.unexpected, 0),
      unexpectedStatuses: summaries.reduce((sum, s) => sum + s.unexpectedStatuses, 0),
      transportFailures: summaries.reduce((sum, s) => sum + s.transportFailures, 0),
      non2xx: summaries.reduce((sum, s) => sum + s.non2xx, 0),
    });
  }
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
      headers: { Authorization: apiKey, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
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
  const rps = (name) => b[name]?.requestsPerSecond;
  const compare = (real, baseline, note) => {
    if (!b[real] || !b[baseline]) return;
    const realCpuMs = b[real].serverCpuMsPerRequest[0];
    const baselineCpuMs = b[baseline].serverCpuMsPerRequest[0];
    // cpuRatio: the throughput ratio if workerd's CPU were the only limit (baseline CPU / real CPU).
    results.comparisons.push({ real, baseline, realRps: rps(real), baselineRps: rps(baseline), ratio: round(rps(real) / rps(baseline), 3), realCpuMs, baselineCpuMs, cpuRatio: round(baselineCpuMs / realCpuMs, 3), note });
  };
  const small = `${USERS}`;
  const large = `${SCALE_USERS}`;
  const tfl = `POST /api/two-factor/login [${small} users]`;
  const login = `POST /api/login (2FA → 242) [${small} users]`;
  compare(tfl, "baseline /do", "1 challenge RPC (+ nested guard RPC) + 1 KV read + AES-GCM + 3 HMAC + JWT");
  compare(login, "baseline /pbkdf2", "2 KV reads + PBKDF2 + guard RPC + new challenge object");
  compare("POST /api/login (no 2FA → 200)", "baseline /pbkdf2", "2 KV reads + PBKDF2 + guard RPC + JWT");
  compare("GET /api/two-factor/secret", "baseline /empty", "API key check + 20 random bytes");
  compare("GET /api/status", "baseline /empty", "Hono routing + middleware");
  compare("POST /api/two-factor/send", "baseline /do", "2 KV reads + guard snapshot + throttle RPC + guard smsCode + Twilio fetch");
  compare(`POST /api/two-factor/login [${large} users]`, tfl, "scale: same request count, 10× the users");
  compare(`POST /api/login (2FA → 242) [${large} users]`, login, "scale: same request count, 10× the users");

  const ratio = (real, baseline) => results.comparisons.find((c) => c.real === real && c.baseline === baseline)?.ratio;
  const target = (name, actual, goal, met) => actual !== undefined && results.targets.push({ name, actual, goal, met });
  const r1 = ratio(tfl, "baseline /do");
  target("two-factor/login ≥ 50% of one-DO-RPC baseline", r1, 0.5, r1 >= 0.5);
  if (b[tfl]) target(`two-factor/login p99 ≤ 50 ms at ${CONNECTIONS} connections`, b[tfl].latencyMs.p99, 50, b[tfl].latencyMs.p99 <= 50);
  const r2 = ratio(login, "baseline /pbkdf2");
  target("login of a 2FA user ≥ 80% of PBKDF2-24k baseline", r2, 0.8, r2 >= 0.8);
  const r3 = ratio("GET /api/two-factor/secret", "baseline /empty");
  target("two-factor/secret ≥ 50% of empty baseline", r3, 0.5, r3 >= 0.5);
  const unexpectedStatuses = Object.values(b).reduce((sum, s) => sum + s.unexpectedStatuses, 0);
  const transportFailures = Object.values(b).reduce((sum, s) => sum + s.transportFailures, 0);
  if (Object.keys(b).length) {
    target("zero unexpected statuses", unexpectedStatuses, 0, unexpectedStatuses === 0);
    target("zero requests without a status (connection reset/closed, timeout)", transportFailures, 0, transportFailures === 0);
  }
  if (results.micro) target("TOTP verify (ours, in Node) within 2× of node:crypto", round(results.micro.oursVsNode, 3), 0.5, results.micro.met);
  for (const name of ["POST /api/two-factor/login", "POST /api/login (2FA → 242)"]) {
    const r = ratio(`${name} [${large} users]`, `${name} [${small} users]`);
    target(`${name}: ${large} users ≥ 85% of ${small} users (no fall with growth)`, r, 0.85, r >= 0.85);
  }
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
    printTable(["real", "vs", "req/s ratio", "CPU ms/req (real / vs)", "CPU ratio"], results.comparisons.map((c) => [c.real, c.baseline, c.ratio.toFixed(2), `${c.realCpuMs.toFixed(2)} / ${c.baselineCpuMs.toFixed(2)}`, c.cpuRatio.toFixed(2)]));
  }
  console.log("\n== Targets ==");
  printTable(["target", "actual", "met"], results.targets.map((t) => [t.name, String(t.actual), t.met ? "MET" : "MISSED"]));
  const m = results.memory;
  const mib = (entry) => (entry ? `${entry.rssMiB.toFixed(0)} MiB` : "-");
  if (m.realWorkerdAtEnd || m.baselineWorkerd) {
    console.log(`\nworkerd RSS: real ${mib(m.realWorkerdAtEnd)} at the end (peak ${m.realWorkerdAtEnd ? m.realWorkerdAtEnd.peakRssMiB.toFixed(0) : "-"} MiB; ${mib(m.realWorkerdAfterSmallPopulation)} after the ${USERS}-user phase), baseline ${mib(m.baselineWorkerd)}`);
  }
  if (results.seeding.createUsersPerSecond) {
    console.log(`seeding: ${results.seeding.createUsersPerSecond} creates/s, ${results.seeding.enableTwoFactorPerSecond} 2FA enables/s${results.seeding.importUsersPerSecond ? `, ${results.seeding.importUsersPerSecond} imported users/s` : ""}`);
  }
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
