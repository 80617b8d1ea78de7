#!/usr/bin/env node
// Where the time of the hot paths goes: each step of /api/login and /api/two-factor/login measured
// alone inside workerd (bench/profile/worker.ts), as workerd CPU time per operation, then summed
// along each path and set against the per-request CPU the endpoint benchmark measured.
//   node bench/profile.mjs [--results bench/results/latest.json]
// Takes about two minutes. Not part of `npm run bench`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { round } from "./lib/load.mjs";
import { cleanupAll, cpuSecondsOf, randomSecrets, startWorker, waitForOpenDatabases } from "./lib/servers.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({
  options: {
    results: { type: "string", default: join(ROOT, "bench/results/latest.json") },
    out: { type: "string", default: join(ROOT, "bench/results/profile.json") },
  },
});

// Bundled as wrangler bundles the Worker (esbuild; wrangler.toml turns `keep_names` off).
const outfile = join(ROOT, "bench/.build/profile-worker.mjs");
mkdirSync(dirname(outfile), { recursive: true });
execFileSync(
  join(ROOT, "node_modules/.bin/esbuild"),
  [
    join(ROOT, "bench/profile/worker.ts"),
    "--bundle",
    "--format=esm",
    "--platform=neutral",
    "--main-fields=module,main",
    "--conditions=workerd,worker,browser",
    "--external:cloudflare:workers",
    "--log-level=warning",
    `--outfile=${outfile}`,
  ],
  { stdio: "inherit" },
);

// [op, n per request, preparation]: the preparation runs the listed ops (n each, on a new run's
// objects) or "close" (waits until workerd has closed every object, ~10–15 s idle) before each sample.
const OPS = [
  ["noop", 100000],
  ["api-key-check", 20000],
  ["parse-login-body", 30000],
  ["parse-2fa-body", 30000],
  ["login-index-get", 1000],
  ["seal-two-factor-id", 20000],
  ["open-two-factor-id", 20000],
  ["jwt-issue", 20000],
  ["guard-structured-clone", 50000],
  ["policy-login", 20000],
  ["policy-complete", 20000],
  ["aes-gcm-decrypt", 20000],
  ["totp-verify-3-steps", 20000],
  ["pbkdf2-24k", 100],
  ["do-rpc-read", 5000],
  ["do-floor-touch", 5000],
  ["do-commit-warm", 5000],
  ["do-put-guard", 5000],
  ["do-put-record", 5000],
  ["do-put-record-1k", 5000],
  ["do-put-record-64k", 2000],
  ["do-set-alarm", 5000],
  ["do-commit-closed", 1000, ["seed-closed", "close"]],
  ["do-commit-reopened", 1000, ["seed-closed", "close", "do-commit-closed", "arm-run"]],
  ["do-floor-touch-reopened", 1000, ["floor-touch-run", "close", "floor-touch-run"]],
];

async function main() {
  const w = await startWorker({
    name: "profile",
    storage: "shm",
    scriptPath: outfile,
    durableObjects: { OBJ: "Obj", COUNTER: "Counter" },
    bindings: randomSecrets(),
  });
  const call = async (path) => {
    const response = await fetch(w.url + path);
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}\n${w.lines.slice(-5).join("\n")}`);
    return response.json();
  };
  const sizes = await call("/seed");
  console.log(
    `JSON sizes (bytes): ${Object.entries(sizes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}\n`,
  );
  const perOp = {};
  for (const [name, n, preparation] of OPS) {
    const samples = [];
    for (let repeat = 0; repeat < 3; repeat++) {
      await waitForOpenDatabases(w.pid, 1200, 60_000);
      if (preparation) {
        for (const [k, step] of preparation.entries()) {
          if (step === "close") await waitForOpenDatabases(w.pid, 20, 60_000);
          else await call(`/op/${step}?n=${n}${k === 0 ? "&newRun=1" : ""}`);
        }
      } else if (repeat === 0) await call(`/op/${name}?n=${Math.ceil(n / 10)}`); // warm-up (reopens the 200 warm objects)
      const cpu0 = cpuSecondsOf(w.pid);
      const t0 = performance.now();
      await call(`/op/${name}?n=${n}`);
      const wall = performance.now() - t0;
      samples.push({ cpuUs: ((cpuSecondsOf(w.pid) - cpu0) * 1e6) / n, wallUs: (wall * 1000) / n });
    }
    samples.sort((a, b) => a.cpuUs - b.cpuUs);
    perOp[name] = { cpuUs: round(samples[1].cpuUs, 1), wallUs: round(samples[1].wallUs, 1), n };
    console.log(`  ${name.padEnd(24)} ${String(perOp[name].cpuUs).padStart(8)} µs CPU/op  ${String(perOp[name].wallUs).padStart(8)} µs wall/op (sequential)`);
  }

  // The hot paths as sums of their steps (µs of workerd CPU); HTTP from the endpoint benchmark.
  const c = (name) => perOp[name].cpuUs;
  const rpcPart = (name) => c(name) - c("do-rpc-read"); // a storage call without the RPC around it
  const measured = existsSync(args.results) ? JSON.parse(readFileSync(args.results, "utf8")) : null;
  const cpuOf = (bench) => measured?.benches[bench]?.serverCpuMsPerRequest[0];
  const users = measured?.options.users;
  const paths = {
    "POST /api/login (2FA → 242)": {
      measured: cpuOf(`POST /api/login (2FA → 242) [${users} users]`),
      steps: {
        "HTTP + Hono + middleware (= GET /api/status)": 1000 * (cpuOf("GET /api/status") ?? NaN),
        "API key check (SHA-256 × 2)": c("api-key-check"),
        "JSON + zod body": c("parse-login-body"),
        "login-id index (SHA-256 + KV get)": c("login-index-get"),
        "RPC to the closed guard (open, load 2 keys, put guard)": c("do-commit-closed"),
        "PBKDF2-SHA256 24,000": c("pbkdf2-24k"),
        "decidePassword + openChallenge (one clone)": c("policy-login"),
        "setAlarm for the pending login": rpcPart("do-set-alarm"),
        "seal twoFactorId (AES-CTR)": c("seal-two-factor-id"),
      },
    },
    "POST /api/two-factor/login": {
      measured: cpuOf(`POST /api/two-factor/login [${users} users]`),
      steps: {
        "HTTP + Hono + middleware (= GET /api/status)": 1000 * (cpuOf("GET /api/status") ?? NaN),
        "JSON + zod body": c("parse-2fa-body"),
        "open twoFactorId (AES-CTR)": c("open-two-factor-id"),
        "RPC to the guard, 2nd call since it reopened (put guard, public user back)": c("do-commit-reopened"),
        "completeChallenge (one clone)": c("policy-complete"),
        "AES-GCM decrypt of the secret": c("aes-gcm-decrypt"),
        "TOTP ±1 (importKey + 3 HMAC-SHA1)": c("totp-verify-3-steps"),
        "JWT HS256 (hono/jwt)": c("jwt-issue"),
      },
    },
    "/2fa-floor (baseline)": {
      measured: cpuOf("baseline /2fa-floor"),
      steps: {
        "HTTP, no framework (= baseline /empty)": 1000 * (cpuOf("baseline /empty") ?? NaN),
        "RPC reading and writing one key (Counter.touch, long-open object)": c("do-floor-touch"),
        "AES-GCM decrypt (ours)": c("aes-gcm-decrypt"),
        "TOTP ±1 (ours)": c("totp-verify-3-steps"),
        "JWT HS256 (ours; the floor's own is leaner)": c("jwt-issue"),
      },
    },
  };
  if (measured) {
    const { source, options } = measured;
    const quick = options.users < 1000 || options.durationSeconds < 5;
    console.log(
      `\nMeasured: ${args.results}, commit ${source.commit}${source.uncommittedChanges ? " + changes" : ""}, ${users} users${quick ? " (a --quick run)" : ""}`,
    );
  } else console.log(`\nNo ${args.results}: HTTP costs and measured CPU unknown (run npm run bench first).`);
  const summary = {};
  for (const [path, { measured: ms, steps }] of Object.entries(paths)) {
    const total = Object.values(steps).reduce((a, b) => a + b, 0);
    console.log(`\n${path}: sum of steps ${round(total / 1000, 3)} ms CPU; measured under load ${ms ?? "?"} ms CPU/request`);
    for (const [step, us] of Object.entries(steps))
      console.log(`  ${step.padEnd(76)} ${String(round(us, 0)).padStart(6)} µs  ${String(round((100 * us) / total, 0)).padStart(3)} %`);
    summary[path] = {
      steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, round(v, 1)])),
      sumMs: round(total / 1000, 3),
      measuredMsPerRequest: ms ?? null,
    };
  }
  const puts = Object.fromEntries(
    ["do-put-guard", "do-put-record", "do-put-record-1k", "do-put-record-64k", "do-set-alarm"].map((name) => [name, round(rpcPart(name), 1)]),
  );
  console.log(
    `\nOne RPC, long-open object vs 2nd call since it reopened (µs CPU): guard commit ${c("do-commit-warm")} vs ${c("do-commit-reopened")}, floor touch ${c("do-floor-touch")} vs ${c("do-floor-touch-reopened")}`,
  );
  console.log(
    `Storage calls without the RPC (µs CPU; the read-only RPC is ${c("do-rpc-read")}): ${Object.entries(puts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  writeFileSync(args.out, JSON.stringify({ at: new Date().toISOString(), sizes, perOp, storageCalls: puts, paths: summary }, null, 2));
  console.log(`\n${args.out}`);
}

main()
  .then(() => cleanupAll())
  .catch(async (error) => {
    console.error(error);
    await cleanupAll();
    process.exitCode = 1;
  });
