#!/usr/bin/env node
// `npm start`'s server: `wrangler dev --ip 127.0.0.1 --port 8787 --log-level warn`, with its output
// passed through line by line except for one harmless error report of workerd's (below), which it
// says it hides the first time it hides one. Extra arguments go to `wrangler dev` (a given --ip,
// --port or --log-level replaces the default): `node scripts/start.mjs --port 8788`. The browser
// tests start their server through this script too (test/e2e/global-setup.ts), and check that it
// printed no error.
//
// Once the server answers GET /api/status it prints one line with where things are:
//   Serving the API at http://127.0.0.1:8787 (status: /api/status, OpenAPI: /api/openapi.json, demo: /demo); API key: …
// At --log-level warn wrangler prints no "Ready on" banner of its own. The API key is the first of
// .dev.vars' API_KEYS (written by scripts/dev-vars.mjs for local use; printed there before this line
// existed). It is printed only when the server reads .dev.vars: not when an --env-file or an
// `--var API_KEYS:…` is given, as the tests do, so that their keys stay out of their logs.
//
// It also passes the development settings of DEV_DEFAULTS (`--var WEBHOOK_ALLOW_LOOPBACK:true`, …)
// that neither an argument nor the .dev.vars it reads sets: see the comment where they are added.
//
// What is filtered, and why. A wrong or already used 2FA code is answered 421, as FusionAuth does.
// Browsers treat 421 as "Misdirected Request" (RFC 9110 §15.5.20): Chromium and Firefox resend the
// request once on a new connection and drop the one the 421 came on (the Fetch standard's
// HTTP-network-or-cache fetch step for 421, whatwg/fetch#1141). workerd then fails to write to the
// dropped connection and reports it as an uncaught error with its stack:
//   ✘ [ERROR] kj::getCaughtExceptionAsKj() = kj/async-io-unix.c++:186: disconnected: ::write(fd, …): Broken pipe
//     stack: …/workerd@51faac1 …
// The client had its answer; nothing failed (workerd's noisy logging on client disconnects is a
// known issue: cloudflare/workerd#3207). Only that report is dropped: an [ERROR] line about anything
// else, and every other line, is printed as wrangler printed it.
//
// The environment also sets CLOUDFLARE_CF_FETCH_ENABLED=false (unless already set): wrangler would
// otherwise download the `request.cf` sample from Cloudflare at start-up and, offline, print a
// warning with a stack trace. The service does not read `request.cf`
// (https://developers.cloudflare.com/workers/wrangler/system-environment-variables/).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const DEFAULTS = [
  ["--ip", "127.0.0.1"],
  ["--port", "8787"],
  // Wrangler's info level prints each request's path, which can hold a live twoFactorId.
  ["--log-level", "warn"],
];

const ANSI = /\x1b\[[0-9;]*m/g; // eslint-disable-line no-control-regex
/** The first line of workerd's report of a write to a connection the client had closed. */
const DROPPED_CONNECTION =
  /^✘ \[ERROR\] kj::getCaughtExceptionAsKj\(\) = kj\/async-io-unix\.c\+\+:\d+: disconnected: .*: (?:Broken pipe|Connection reset by peer)\s*$/;
/** What follows it: blank lines and workerd's stack ("stack: …/workerd@1a2b3c …", possibly over several lines). */
const REPORT_TAIL = /^\s*$|^\s+(?:stack: )?\S*workerd@[0-9a-f]+/;

const given = process.argv.slice(2);
const isGiven = (flag) => given.some((arg) => arg === flag || arg.startsWith(`${flag}=`));
const givesVar = (name) => given.some((arg) => arg.startsWith(`${name}:`) || arg.startsWith(`--var=${name}:`));
const base = ["dev", ...DEFAULTS.filter(([flag]) => !isGiven(flag)).flat(), ...given];
// Development settings that deploys leave off. scripts/dev-vars.mjs writes them into new .dev.vars
// files; for one written before a setting existed it is passed here, unless an argument or the
// .dev.vars file sets it. WEBHOOK_ALLOW_LOOPBACK: webhooks to a receiver on this machine
// (docs/events-and-webhooks.md). EMAIL_FROM and EMAIL_LOCAL_OUTBOX: emailed codes through the
// simulated send_email binding, kept for GET /api/email/outbox and `npm run outbox`.
const DEV_DEFAULTS = [
  ["WEBHOOK_ALLOW_LOOPBACK", "true"],
  ["EMAIL_FROM", "two-factor@example.com"],
  ["EMAIL_LOCAL_OUTBOX", "true"],
];
const devDefaults = DEV_DEFAULTS.filter(([name]) => !givesVar(name) && devVar(name) === undefined).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
const args = [...base, ...devDefaults];

const env = { ...process.env };
env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
// Piped output is not a terminal: keep wrangler's colours when ours is one.
if (process.stdout.isTTY && env.NO_COLOR === undefined) env.FORCE_COLOR ??= "1";

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(process.execPath, [wrangler, ...args], { stdio: ["inherit", "pipe", "pipe"], env });

let noticeShown = false;

/** Copies `from` to `to` line by line, dropping workerd's dropped-connection reports (and saying so the first time). */
function filter(from, to) {
  let inReport = false;
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    const plain = line.replace(ANSI, "");
    if (DROPPED_CONNECTION.test(plain)) {
      inReport = true;
      if (!noticeShown) {
        noticeShown = true;
        to.write(
          'Not shown: workerd\'s "Broken pipe" error reports. A browser resends a request answered 421 (a wrong or used code)\n' +
            "on a new connection and drops the first one; workerd reports the write to the dropped connection as an error. Harmless.\n",
        );
      }
      return;
    }
    if (inReport && REPORT_TAIL.test(plain)) return;
    inReport = false;
    to.write(`${line}\n`);
  });
}
filter(child.stdout, process.stdout);
filter(child.stderr, process.stderr);

// Ctrl+C reaches wrangler too (same process group); a signal sent to this script alone is passed on.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});

/** The value of the last `--flag value` or `--flag=value` in wrangler's arguments. */
function valueOf(flag) {
  let value;
  base.forEach((arg, i) => {
    if (arg === flag) value = base[i + 1];
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  });
  return value;
}

/** Variable `name` of the .dev.vars the server reads, or undefined when it reads none (an --env-file is given) or the file has no such line. */
function devVar(name) {
  if (isGiven("--env-file")) return undefined;
  const env = valueOf("--env") ?? valueOf("-e");
  const file = [env && `../.dev.vars.${env}`, "../.dev.vars"]
    .filter(Boolean)
    .map((path) => new URL(path, import.meta.url))
    .find((url) => existsSync(url));
  if (!file) return undefined;
  return new RegExp(`^${name}=(.*)$`, "m").exec(readFileSync(file, "utf8"))?.[1]?.trim();
}

/** The first API key of the .dev.vars the server reads, or undefined when it reads none (or its keys came from elsewhere). */
function devApiKey() {
  if (givesVar("API_KEYS")) return undefined;
  return devVar("API_KEYS")?.split(",")[0]?.trim() || undefined;
}

/** The status of GET `url` (self-signed certificates accepted: wrangler's --local-protocol https), or 0 if no answer. */
function statusOf(url) {
  return new Promise((resolve) => {
    const get = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = get(url, { timeout: 2_000, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** Waits for the server to answer /api/status, then says where it is (once). */
async function announceWhenReady() {
  const port = Number(valueOf("--port"));
  if (!Number.isInteger(port) || port <= 0) return; // a port wrangler picks itself: we cannot tell which
  const ip = valueOf("--ip");
  const host = ["0.0.0.0", "::", "*"].includes(ip) ? "127.0.0.1" : ip.includes(":") ? `[${ip}]` : ip;
  const scheme = valueOf("--local-protocol") === "https" ? "https" : "http";
  const base = `${scheme}://${host}:${port}`;
  const running = () => child.exitCode === null && child.signalCode === null;
  // Wrangler takes seconds to start: an answer now comes from another server on that port, which
  // wrangler will report. Say nothing then, rather than point at the wrong server.
  if ((await statusOf(`${base}/api/status`)) !== 0) return;
  const deadline = Date.now() + 180_000;
  while (running() && Date.now() < deadline) {
    if ((await statusOf(`${base}/api/status`)) === 200) {
      if (!running()) return;
      const demo = (await statusOf(`${base}/demo`)) === 200 ? "demo: /demo" : 'demo: off, DEMO_ENABLED is not "true"';
      const apiKey = devApiKey();
      console.log(`Serving the API at ${base} (status: /api/status, OpenAPI: /api/openapi.json, ${demo})` + (apiKey ? `; API key: ${apiKey}` : ""));
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
announceWhenReady();
