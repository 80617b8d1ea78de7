#!/usr/bin/env node
// Micro-benchmark: verifying one TOTP code over the ±1 window (3 HMAC-SHA1s), in Node 20.
//   node bench/totp-micro.mjs [--seconds 1.5] [--json results.json]
// Variants:
//   ours            src/crypto/totp.ts findMatchingStep, bundled with esbuild (Web Crypto, as in the Worker)
//   ours-cachedkey  the same algorithm with the HMAC CryptoKey imported once (what caching would give)
//   ours-x64        `ours` with 64 verifications in flight (throughput of the async API, not latency)
//   node:crypto     3 × createHmac, all compared (synchronous)
//   otplib          authenticator.check with window 1
//   workerd: ours, workerd: ours-cachedkey   the same two inside workerd (Miniflare), where the Worker runs them
// The code checked is the one of the NEXT step, so every variant computes all three HMACs
// (otplib checks current, past, future in that order and stops at a match).
import { execFileSync } from "node:child_process";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import otplib from "otplib";
import { hotp } from "./lib/totp.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { seconds: { type: "string", default: "1.5" }, json: { type: "string" } } });
const SECONDS = Number(values.seconds);

// 1. Bundle the real module (TypeScript) for Node.
const outfile = join(root, "bench/.build/totp.mjs");
mkdirSync(dirname(outfile), { recursive: true });
execFileSync(
  join(root, "node_modules/.bin/esbuild"),
  [join(root, "src/crypto/totp.ts"), "--bundle", "--format=esm", "--platform=neutral", "--log-level=warning", `--outfile=${outfile}`],
  { stdio: "inherit" },
);
// workerd's Web Crypto has timingSafeEqual (src/crypto/compare.ts uses it); Node's has it in node:crypto.
crypto.subtle.timingSafeEqual ??= (a, b) => timingSafeEqual(a, b);
const totp = await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);

const key = new Uint8Array(randomBytes(20));
const nowMs = Date.now();
const step = Math.floor(nowMs / 30_000);

const nodeCode = (counter) => hotp(key, counter);
const code = nodeCode(step + 1);

// Sanity: every variant accepts the code (and finds step + 1).
const ourStep = await totp.findMatchingStep(key, code, nowMs, 1);
if (ourStep !== step + 1) throw new Error(`ours returned ${ourStep}, expected ${step + 1}`);

function nodeVerify() {
  let match = null;
  for (const candidate of [step, step - 1, step + 1]) {
    const computed = nodeCode(candidate);
    let difference = 0;
    for (let i = 0; i < 6; i++) difference |= computed.charCodeAt(i) ^ code.charCodeAt(i);
    if (difference === 0 && match === null) match = candidate;
  }
  return match;
}
if (nodeVerify() !== step + 1) throw new Error("node:crypto variant failed");

const base32 = (() => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0,
    value = 0,
    out = "";
  for (const byte of key) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits ? out + alphabet[(value << (5 - bits)) & 31] : out;
})();
const authenticator = otplib.authenticator.clone({ window: 1, epoch: nowMs });
if (!authenticator.check(code, base32)) throw new Error("otplib variant failed");

// src/crypto/totp.ts with the CryptoKey imported once, as the user's object keeps it.
const importedKey = await totp.importTotpKey(key);
const cachedVerify = () => totp.findMatchingStepIn(importedKey, code, [step, step - 1, step + 1]);
if ((await cachedVerify()) !== step + 1) throw new Error("cached-key variant failed");

async function measure(name, fn, { inFlight = 1 } = {}) {
  const run = async (seconds) => {
    let ops = 0;
    const deadline = performance.now() + seconds * 1000;
    const start = performance.now();
    if (inFlight === 1) {
      while (performance.now() < deadline) {
        for (let i = 0; i < 64; i++) await fn();
        ops += 64;
      }
    } else {
      while (performance.now() < deadline) {
        await Promise.all(Array.from({ length: inFlight }, fn));
        ops += inFlight;
      }
    }
    return { ops, seconds: (performance.now() - start) / 1000 };
  };
  await run(0.3); // warm-up (JIT, Web Crypto thread pool)
  const { ops, seconds } = await run(SECONDS);
  return { name, opsPerSecond: ops / seconds, microsecondsPerOp: (seconds * 1e6) / ops, ops };
}

const results = [];
results.push(await measure("ours", () => totp.findMatchingStep(key, code, nowMs, 1)));
results.push(await measure("ours-cachedkey", cachedVerify));
results.push(await measure("ours-x64", () => totp.findMatchingStep(key, code, nowMs, 1), { inFlight: 64 }));
results.push(await measure("node:crypto", async () => nodeVerify()));
results.push(await measure("otplib", async () => authenticator.check(code, base32)));

// The same code inside workerd (where the Worker runs it): Web Crypto there completes the HMAC on
// the calling thread, so the per-call overhead Node pays (a thread-pool round trip per operation)
// is absent. Measured as workerd CPU time over one request that verifies N times.
const workerd = await measureInWorkerd();
for (const r of workerd) results.push(r);

async function measureInWorkerd() {
  const { startWorker, cleanupAll, cpuSecondsOf } = await import("./lib/servers.mjs");
  const bundle = join(root, "bench/.build/totp-worker.mjs");
  execFileSync(
    join(root, "node_modules/.bin/esbuild"),
    [join(root, "bench/profile/totp-worker.ts"), "--bundle", "--format=esm", "--platform=neutral", "--log-level=warning", `--outfile=${bundle}`],
    { stdio: "inherit" },
  );
  try {
    const worker = await startWorker({ name: "totp-micro", scriptPath: bundle, durableObjects: {}, kv: false });
    const out = [];
    for (const variant of ["ours", "cachedkey"]) {
      const n = Math.max(2000, Math.round(20000 * SECONDS));
      await (await fetch(`${worker.url}/?variant=${variant}&n=${Math.round(n / 10)}`)).text(); // warm-up
      const cpu0 = cpuSecondsOf(worker.pid);
      const t0 = performance.now();
      await (await fetch(`${worker.url}/?variant=${variant}&n=${n}`)).text();
      const wallSeconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpuSecondsOf(worker.pid) - cpu0;
      // CPU time (10 ms ticks) and wall time agree when nothing waits; wall is the finer clock.
      out.push({
        name: variant === "ours" ? "workerd: ours" : "workerd: ours-cachedkey",
        opsPerSecond: n / wallSeconds,
        microsecondsPerOp: (wallSeconds * 1e6) / n,
        cpuMicrosecondsPerOp: (cpuSeconds * 1e6) / n,
        ops: n,
      });
    }
    return out;
  } finally {
    await cleanupAll();
  }
}

const nodeOps = results.find((r) => r.name === "node:crypto").opsPerSecond;
const ours = results.find((r) => r.name === "ours");
const oursInWorkerd = results.find((r) => r.name === "workerd: ours");
const summary = {
  node: process.version,
  results,
  oursVsNode: ours.opsPerSecond / nodeOps,
  oursInWorkerdVsNode: oursInWorkerd.opsPerSecond / nodeOps,
  target: "ours (in Node) within 2x of node:crypto (ratio >= 0.5)",
  met: ours.opsPerSecond / nodeOps >= 0.5,
};

console.log("\nTOTP verify, ±1 window (3 HMAC-SHA1), Node " + process.version);
console.log("variant                    ops/s      µs/op   vs node:crypto");
for (const r of results) {
  console.log(
    `${r.name.padEnd(25)} ${Math.round(r.opsPerSecond).toString().padStart(8)} ${r.microsecondsPerOp.toFixed(1).padStart(9)}   ${(r.opsPerSecond / nodeOps).toFixed(2)}×`,
  );
}
console.log(
  `target ours ≥ 0.5× node:crypto: ${summary.met ? "MET" : "MISSED"} in Node (${summary.oursVsNode.toFixed(2)}×); in workerd ${summary.oursInWorkerdVsNode.toFixed(2)}× of Node's node:crypto`,
);
if (values.json) writeFileSync(values.json, JSON.stringify(summary, null, 2));
