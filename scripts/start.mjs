#!/usr/bin/env node
// `npm start`'s server: `wrangler dev --ip 127.0.0.1 --port 8787 --log-level warn`, with its output
// passed through line by line except for one harmless error report of workerd's (below), which it
// says once at start-up. Extra arguments go to `wrangler dev` (a given --ip, --port or --log-level
// replaces the default): `node scripts/start.mjs --port 8788`. The browser tests start their server
// through this script too (test/e2e/global-setup.ts), and check that it printed no error.
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
const args = ["dev", ...DEFAULTS.filter(([flag]) => !isGiven(flag)).flat(), ...given];

const env = { ...process.env };
env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
// Piped output is not a terminal: keep wrangler's colours when ours is one.
if (process.stdout.isTTY && env.NO_COLOR === undefined) env.FORCE_COLOR ??= "1";

console.log(
  'Not shown: workerd\'s "Broken pipe" error reports. A browser resends a request answered 421 (a wrong or used code)\n' +
    "on a new connection and drops the first one; workerd reports the write to the dropped connection as an error. Harmless.\n",
);

const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
const child = spawn(process.execPath, [wrangler, ...args], { stdio: ["inherit", "pipe", "pipe"], env });

/** Copies `from` to `to` line by line, dropping workerd's dropped-connection reports. */
function filter(from, to) {
  let inReport = false;
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    const plain = line.replace(ANSI, "");
    if (DROPPED_CONNECTION.test(plain)) {
      inReport = true;
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
