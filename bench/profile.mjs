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
const { values: args } = parseArgs({ options: { results: { type: "string", default: join(ROOT, "bench/results/latest.json") }, out: { type: "string", default: join(ROOT, "bench/results/profile.json") } } });

const outfile = join(ROOT, "bench/.build/profile-worker.mjs");
mkdirSync(dirname(outfile), { recursive: true });
execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [join(ROOT, "bench/profile/worker.ts"), "--bundle", "--format=esm", "--platform=neutral", "--main-fields=module,main", "--conditions=workerd,worker,browser", "--external:cloudflare:workers", "--log-level=warning", `--outfile=${outfile}`], { stdio: "inherit" });

// [op, n per request, create a fresh set of objects first?]
const OPS = [
  ["noop", 100000],
  ["zod-parse-2fa-body", 30000],
  ["api-key-check", 20000],
  ["aes-gcm-decrypt", 20000],
  ["totp-verify-3-steps", 20000],
  ["jwt-issue", 20000],
  ["kv-get-json", 1000],
  ["do-rpc-read", 2000],
  ["do-rpc", 2000],
  ["do-rpc-nested", 2000],
  ["do-rpc-cold", 800, "cold"],
  ["do-new-object", 800, "new"],
  ["do-create-challenge", 800, "new"],
  ["do-discard-challenge", 800, "after-create"],
  ["do-delete-all-only", 800, "after-create"],
  ["do-delete-alarm-and-key", 800, "after-create"],
  ["pbkdf2-24k", 100],
];

async function main() {
  const w = await startWorker({ name: "profile", storage: "shm", scriptPath: outfile, durableObjects: { OBJ: "Obj" }, bindings: randomSecrets() });
  const call = async (path) => {
    const response = await fetch(w.url + path);
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}\n${w.lines.slice(-5).join("\n")}`);
    await response.arrayBuffer();
  };
  await call("/seed");
  const perOp = {};
  for (const [name, n, mode] of OPS) {
    const samples = [];
    for (let repeat = 0; repeat < 3; repeat++) {
      await waitForOpenDatabases(w.pid, 1200, 60_000);
      if (mode === "after-create") await call(`/op/do-create-challenge?n=${n}&newRun=1`);
      else if (mode === "cold") {
        // Create the objects, then wait until workerd has closed them (~10–15 s idle).
        await call(`/op/do-rpc-cold?n=${n}&newRun=1`);
        await waitForOpenDatabases(w.pid, 20, 60_000);
      } else if (repeat === 0) await call(`/op/${name}?n=${Math.ceil(n / 10)}${mode === "new" ? "&newRun=1" : ""}`); // warm-up
      const cpu0 = cpuSecondsOf(w.pid);
      const t0 = performance.now();
      await call(`/op/${name}?n=${n}${mode === "new" ? "&newRun=1" : ""}`);
      const wall = performance.now() - t0;
      samples.push({ cpuUs: ((cpuSecondsOf(w.pid) - cpu0) * 1e6) / n, wallUs: (wall * 1000) / n });
    }
    samples.sort((a, b) => a.cpuUs - b.cpuUs);
    const median = samples[1];
    const key = perOp[name] ? `${name} (again)` : name;
    perOp[key] = { cpuUs: round(median.cpuUs, 1), wallUs: round(median.wallUs, 1), n };
    console.log(`  ${key.padEnd(28)} ${String(perOp[key].cpuUs).padStart(8)} µs CPU/op  ${String(perOp[key].wallUs).padStart(8)} µs wall/op (sequential)`);
  }

  // The hot paths as sums of their steps (µs of workerd CPU).
  const c = (name) => perOp[name].cpuUs;
  const measured = existsSync(args.results) ? JSON.parse(readFileSync(args.results, "utf8")) : null;
  const httpMs = measured?.benches["GET /api/status"]?.serverCpuMsPerRequest[0];
  const http = httpMs ? httpMs * 1000 : NaN;
  const paths = {
    "POST /api/two-factor/login": {
      "HTTP + Hono + middleware (= GET /api/status)": http,
      "JSON + zod body": c("zod-parse-2fa-body"),
      "challenge RPC (complete)": c("do-rpc-read"),
      "nested guard RPC (checkCode, one write)": c("do-rpc-nested") - c("do-rpc-read"),
      "AES-GCM decrypt of the secret": c("aes-gcm-decrypt"),
      "TOTP 3 steps (importKey + 3 HMAC)": c("totp-verify-3-steps"),
      "challenge discard (deleteAlarm + kv.delete)": c("do-delete-alarm-and-key") - c("do-rpc-read"),
      "JWT HS256 (importKey + sign)": c("jwt-issue"),
    },
    "POST /api/login (2FA user → 242)": {
      "HTTP + Hono + middleware (= GET /api/status)": http,
      "API key check (2 × SHA-256)": c("api-key-check"),
      "JSON + zod body": c("zod-parse-2fa-body"),
      "KV reads (email index + record)": 2 * c("kv-get-json"),
      "PBKDF2-SHA256 24,000": c("pbkdf2-24k"),
      "guard RPC on a closed object (open + checkPassword write)": c("do-rpc-cold"),
      "new challenge object (put + setAlarm; carries the profile)": c("do-create-challenge"),
    },
  };
  const realCpu = {
    "POST /api/two-factor/login": measured?.benches[`POST /api/two-factor/login [${measured.options.users} users]`]?.serverCpuMsPerRequest[0],
    "POST /api/login (2FA user → 242)": measured?.benches[`POST /api/login (2FA → 242) [${measured.options.users} users]`]?.serverCpuMsPerRequest[0],
  };
  const summary = {};
  for (const [path, steps] of Object.entries(paths)) {
    const total = Object.values(steps).reduce((a, b) => a + b, 0);
    console.log(`\n${path}: sum of steps ${round(total / 1000, 2)} ms CPU; measured under load ${realCpu[path] ?? "?"} ms CPU/request`);
    for (const [step, us] of Object.entries(steps)) console.log(`  ${step.padEnd(48)} ${String(round(us, 0)).padStart(6)} µs  ${String(round((100 * us) / total, 0)).padStart(3)} %`);
    summary[path] = { steps: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, round(v, 1)])), sumMs: round(total / 1000, 3), measuredMsPerRequest: realCpu[path] ?? null };
  }
  console.log("\nDiscarding a used challenge, per RPC (µs CPU): deleteAlarm + deleteAll " + c("do-discard-challenge") + ", deleteAll alone " + c("do-delete-all-only") + ", deleteAlarm + kv.delete " + c("do-delete-alarm-and-key") + " (a read-only RPC: " + c("do-rpc-read") + ")");
  writeFileSync(args.out, JSON.stringify({ at: new Date().toISOString(), perOp, paths: summary }, null, 2));
  console.log(`\n${args.out}`);
}

main()
  .then(() => cleanupAll())
  .catch(async (error) => {
    console.error(error);
    await cleanupAll();
    process.exitCode = 1;
  });
