#!/usr/bin/env node
// Where the code step's CPU goes beyond its floor, natively: Linux `perf` samples the whole workerd
// process (every thread, cpu-clock at 4 kHz; workerd's binary carries its symbols) during rounds of
// `POST /api/two-factor/login` on the real Worker and of `/2fa-floor` on the baseline, each right
// after its password round as in `npm run bench`, and prints the difference per request by category
// (JavaScript, V8's runtime, SQLite, garbage collection, the allocator, the kernel, …) and by
// function. It sees what a V8 profile does not: SQLite compiling statements, the serializer of RPC
// arguments, the allocator, the kernel.
//   node bench/perf-profile.mjs [--rounds 3]     (≈ 2 min; needs perf: apt-get install linux-perf)
// Sampling costs CPU too (the rounds run ≈ 20 % slower): compare the two sides, not with `npm run bench`.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { load, pool } from "./lib/load.mjs";
import { APPLICATION_ID, codeRequest, END_USER_IP, loginRequest, PASSWORD } from "./lib/requests.mjs";
import {
  buildWorker,
  cleanupAll,
  onCleanup,
  openSqliteDatabases,
  pinLoadGenerator,
  randomSecrets,
  startWorker,
  tempDir,
  waitForOpenDatabases,
  WORKER_DURABLE_OBJECTS,
} from "./lib/servers.mjs";
import { importTwoFactorUsers, PASSWORD_FACTOR, twoFactorUsers } from "./lib/users.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "3" } } });
const ROUNDS = Number(args.rounds);
const PER_ROUND = 900;
const SAMPLE_HZ = 4000;
if (spawnSync("perf", ["--version"]).status !== 0) {
  console.error("perf is not installed (Debian: apt-get install linux-perf)");
  process.exit(2);
}

// Pinned as bench/run.mjs pins (bench/README "CPU pinning"): this process and its children on one CPU, the Workers on another.
const PIN = pinLoadGenerator();

try {
  const scriptPath = await buildWorker(ROOT, "perf-profile");
  const baseline = await startWorker({
    name: "baseline",
    storage: "shm",
    scriptPath: join(ROOT, "bench/baseline/worker.mjs"),
    durableObjects: { COUNTER: "Counter" },
  });
  PIN?.pinWorker(baseline.pid);
  const secrets = randomSecrets();
  const real = await startWorker({
    name: "real",
    storage: "shm",
    scriptPath,
    durableObjects: WORKER_DURABLE_OBJECTS,
    bindings: { ...secrets, PASSWORD_FACTOR: String(PASSWORD_FACTOR) },
  });
  PIN?.pinWorker(real.pid);
  const headers = { Authorization: secrets.API_KEYS, "Content-Type": "application/json" };
  const users = twoFactorUsers(PER_ROUND * ROUNDS, { prefix: "perf" });
  await importTwoFactorUsers({ url: real.url, headers, pid: real.pid, users });

  // The floor's user records and objects, as bench/run.mjs makes them (/login-floor reads a record
  // and reopens an object; /2fa-floor then uses that object).
  const idleDatabases = openSqliteDatabases(baseline.pid);
  const kv = await baseline.mf.getKVNamespace("KV");
  const JSON_POST = { "Content-Type": "application/json" };
  await pool(
    Array.from({ length: PER_ROUND }, (_, n) => n),
    8,
    async (n) => {
      await kv.put(`v1:user:${n}`, JSON.stringify({ id: String(n), email: `bench${n}@example.com`, twoFactorSecret: randomBytes(90).toString("base64url") }));
      await fetch(`${baseline.url}/login-floor?n=${n}`, { method: "POST", headers: JSON_POST, body: "{}" }).then((response) => response.arrayBuffer());
    },
  );
  const rotating = (prefix) => {
    let i = 0;
    return (req) => ({ ...req, path: `${prefix}${i++ % PER_ROUND}` });
  };
  const floorLogin = JSON.stringify({ loginId: "bench@example.com", password: PASSWORD, applicationId: APPLICATION_ID, ipAddress: END_USER_IP });
  const floorCode = JSON.stringify({
    twoFactorId: randomBytes(32).toString("base64url"),
    code: "123456",
    applicationId: APPLICATION_ID,
    ipAddress: END_USER_IP,
  });

  const samples = { floor: [], real: [] };
  const requests = { floor: 0, real: 0 };
  const dir = tempDir("bench-perf-");
  for (let round = 0; round < ROUNDS; round++) {
    await waitForOpenDatabases(baseline.pid, idleDatabases + 5, 60_000);
    const floorOpts = { url: baseline.url, amount: PER_ROUND, pids: [baseline.pid] };
    await load({
      ...floorOpts,
      name: `baseline /login-floor #${round + 1}`,
      requests: [{ method: "POST", headers: JSON_POST, body: floorLogin, setupRequest: rotating("/login-floor?n=") }],
    });
    const floor = await profiled(baseline.pid, join(dir, `floor${round}.data`), () =>
      load({
        ...floorOpts,
        name: `baseline /2fa-floor #${round + 1}`,
        requests: [{ method: "POST", headers: JSON_POST, body: floorCode, setupRequest: rotating("/2fa-floor?on=closed&n=") }],
      }),
    );
    samples.floor.push(...floor.samples);
    requests.floor += floor.result.responses;

    await waitForOpenDatabases(real.pid, 300, 60_000);
    const challenges = [];
    const mine = users.slice(round * PER_ROUND, (round + 1) * PER_ROUND);
    const realOpts = { url: real.url, amount: PER_ROUND, pids: [real.pid], logs: real.lines };
    await load({ ...realOpts, name: `POST /api/login #${round + 1}`, expect: [242], requests: [loginRequest(headers, mine, (c) => challenges.push(c))] });
    const code = await profiled(real.pid, join(dir, `real${round}.data`), () =>
      load({ ...realOpts, name: `POST /api/two-factor/login #${round + 1}`, amount: challenges.length, requests: [codeRequest(challenges)] }),
    );
    samples.real.push(...code.samples);
    requests.real += code.result.responses;
  }
  report(samples, requests);
} finally {
  await cleanupAll();
}

/** Runs `fn` while perf samples process `pid`; its result and the samples' frames (`{ symbol, dso }`). */
async function profiled(pid, file, fn) {
  const recorder = spawn("perf", ["record", "-q", "-e", "cpu-clock", "-F", String(SAMPLE_HZ), "-p", String(pid), "-o", file], { stdio: "ignore" });
  const exited = new Promise((resolve) => recorder.once("exit", resolve));
  onCleanup(() => recorder.kill("SIGKILL"));
  await new Promise((resolve) => setTimeout(resolve, 300)); // perf attaches
  const result = await fn();
  recorder.kill("SIGINT");
  await exited;
  const script = spawnSync("perf", ["script", "-i", file, "-F", "ip,sym,dso"], { encoding: "utf8", maxBuffer: 1 << 30 });
  const samples = script.stdout
    .split("\n")
    .map((line) => /^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/.exec(line))
    .filter(Boolean)
    .map(([, symbol, dso]) => ({ symbol: symbol.replace(/\+0x[0-9a-f]+$/, "").replace(/<.*>/, "<…>"), dso: dso.split("/").pop() }));
  return { result, samples };
}

/** What a sample was doing, from its function and library. */
function category({ symbol, dso }) {
  if (dso.startsWith("perf-") || dso.startsWith("[JIT]") || symbol.startsWith("Builtins_")) return "JavaScript (JIT code and V8 builtins)";
  if (dso.startsWith("[kernel")) return "kernel";
  if (/sqlite|^yy_|^resolveExpr|^walkExpr|^exprAnalyze|^lookupName/i.test(symbol)) return "SQLite";
  if (/tcmalloc|TCMalloc/.test(symbol)) return "allocator";
  if (/Scaveng|Marking|Sweep|cppgc|GCTracer|Heap::|HeapTracer/.test(symbol)) return "garbage collection";
  if (/Serializer|Deserializer/.test(symbol)) return "V8 serializer (RPC arguments and results, storage values)";
  if (/^v8::|^_ZN2v8/.test(symbol)) return "V8 runtime";
  if (/kj::|_ZN2kj|capnp/.test(symbol)) return "KJ event loop and Cap'n Proto";
  if (/workerd/.test(symbol)) return "workerd";
  return dso.startsWith("libc") ? "libc" : "other";
}

function report(samples, requests) {
  const microsPerSample = 1e6 / SAMPLE_HZ;
  const perRequest = (count, side) => (count * microsPerSample) / requests[side];
  const tally = (side, key) => {
    const counts = new Map();
    for (const sample of samples[side]) counts.set(key(sample), (counts.get(key(sample)) ?? 0) + 1);
    return counts;
  };
  const table = (title, key, limit) => {
    const real = tally("real", key);
    const floor = tally("floor", key);
    const rows = [...new Set([...real.keys(), ...floor.keys()])]
      .map((name) => ({ name, real: perRequest(real.get(name) ?? 0, "real"), floor: perRequest(floor.get(name) ?? 0, "floor") }))
      .sort((a, b) => b.real - b.floor - (a.real - a.floor))
      .slice(0, limit);
    console.log(`\n${title} (µs per request)\n${"real".padStart(8)} ${"floor".padStart(8)} ${"diff".padStart(8)}`);
    for (const row of rows)
      console.log(`${row.real.toFixed(1).padStart(8)} ${row.floor.toFixed(1).padStart(8)} ${(row.real - row.floor).toFixed(1).padStart(8)}  ${row.name}`);
  };
  console.log(
    `\nSampled: the code step ${perRequest(samples.real.length, "real").toFixed(0)} µs per request over ${requests.real} requests, ` +
      `/2fa-floor ${perRequest(samples.floor.length, "floor").toFixed(0)} µs over ${requests.floor}`,
  );
  table("By category", category, 20);
  table("By function, largest differences first", ({ symbol, dso }) => `${symbol} (${dso})`, 30);
}
