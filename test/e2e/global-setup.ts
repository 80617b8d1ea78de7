// Starts what the end-to-end tests talk to, and stops it afterwards whatever the tests did:
//   1. the fake Twilio (test/fake-twilio/server.mjs) on a free loopback port, and the SMTP servers of
//      test/email/smtp-servers.ts (one that takes mail, one that refuses the login, a port that is
//      down, one that is slower than the transport's 10 s bound, …);
//   2. `wrangler dev` of this Worker on a free loopback port, with fresh random secrets passed as
//      `--var`, local state in a fresh temp directory, and `--env-file` pointing at an empty temp
//      file so that a developer's `.dev.vars` (or `.env`) never reaches it: wrangler 4.86 loads
//      `.dev.vars` only when no `--env-file` is given.
// Each server runs in its own process group (`detached: true`); teardown signals the whole group
// (`kill -<pid>`), so wrangler's workerd children go with it. Server output is kept in
// test-results/e2e/*.log (test-results/<name>/ for startServers callers) for post-mortems; those
// logs keep wrangler's request lines. A passing run prints none of it; when a test of the project
// fails (or the run has an unhandled error), teardown prints each log's last lines after vitest's
// summary, and a server that fails to start has its last lines in the setup error. The process
// helpers are exported for test/e2e/dev-logs.test.ts, which starts a `wrangler dev` of its own with
// `npm start`'s flags.
//
// How wrangler 4.86 reads `--var NAME:value`: it splits at the first ':' only and keeps the rest
// verbatim (src/utils/collectKeyValues.ts), so values may contain ':' and '='. The secrets below
// use both on purpose (ENCRYPTION_KEY is `keyId:base64==`, JWT_SIGNING_KEY is padded Base64), and
// the tests prove they arrived intact: tokens verify with this JWT key, and the Twilio token is
// encrypted with this ENCRYPTION_KEY.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import type { TestProject } from "vitest/node";
import { startSmtpServers, type SmtpServers } from "../email/smtp-servers";
import type { E2eContext } from "./context";

const STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
/** How much of each server log teardown prints when a test failed (the whole log stays in its file). */
const FAILURE_LOG_LINES = 200;
const LOOPBACK = "127.0.0.1";

export type Server = { name: string; child: ChildProcess; log: string };

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return startServers(project);
}

/**
 * What setup() does, for other Node projects that need their own pair of servers: `name` keeps
 * their logs apart (test-results/<name>/), `vars` become extra `--var`s of `wrangler dev`, and
 * `startScript` runs wrangler through scripts/start.mjs as `npm start` does (its log level, its
 * filter of workerd's dropped-connection reports) instead of directly. The browser project
 * (test/browser/global-setup.mjs) uses all three: the /demo page on, and a log to check for errors.
 */
export async function startServers(
  project: TestProject,
  options: { name?: string; vars?: Record<string, string>; startScript?: boolean } = {},
): Promise<() => Promise<void>> {
  const name = options.name ?? "e2e";
  const root = project.config.root;
  const logDir = join(root, "test-results", name);
  mkdirSync(logDir, { recursive: true });
  const tempDir = mkdtempSync(join(tmpdir(), `legacy-two-factor-${name}-`));
  const servers: Server[] = [];
  let smtp: SmtpServers | undefined;
  // Last resort if vitest exits without running teardown: no server may outlive the run.
  const killOnExit = () => servers.forEach((server) => signalGroup(server.child.pid, "SIGKILL"));
  process.once("exit", killOnExit);

  const teardown = async () => {
    process.removeListener("exit", killOnExit);
    // Wrangler first: it may still be talking to the fake.
    for (const server of [...servers].reverse()) await stop(server);
    await smtp?.close();
    if (failed(project)) printLogs(name, servers, root);
    rmSync(tempDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };

  try {
    const fake = start(servers, "fake-twilio", process.execPath, [join(root, "test/fake-twilio/server.mjs"), "--port", "0"], {
      cwd: root,
      log: join(logDir, "fake-twilio.log"),
    });
    const fakeTwilioUrl = await waitForLogLine(fake, /fake-twilio listening on (http:\/\/\S+)/, 15_000);
    await waitForHttp(fake, `${fakeTwilioUrl}/_fake/messages`, 15_000);
    // Slower than the SMTP transport's bound (src/email/smtp.ts, 10 s): its sends time out.
    smtp = await startSmtpServers({ slowMs: 15_000 });
    const { close: _close, ...smtpFixture } = smtp;

    const context: E2eContext = {
      baseUrl: "",
      apiKey: `e2e-${randomBytes(24).toString("hex")}`,
      exportKey: `e2e-export-${randomBytes(24).toString("hex")}`,
      jwtSigningKey: randomBytes(32).toString("base64"), // 32 bytes: ends in '=' on purpose
      fakeTwilioUrl,
      smtp: smtpFixture,
    };
    const encryptionKey = `e2e1:${randomBytes(32).toString("base64")}`; // contains ':' and '='
    const [port, inspectorPort] = await freePorts(2);
    context.baseUrl = `http://${LOOPBACK}:${port}`;

    const envFile = join(tempDir, "e2e.env");
    writeFileSync(envFile, "# Empty on purpose: stands in for .dev.vars, whose secrets must not reach the e2e server.\n", { mode: 0o600 });
    const wranglerBin = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
    if (!existsSync(wranglerBin)) throw new Error(`wrangler is not installed at ${wranglerBin}; run npm ci`);
    // scripts/start.mjs runs `wrangler dev` with the arguments after its own name.
    const command = options.startScript ? [join(root, "scripts", "start.mjs")] : [wranglerBin, "dev"];
    const wrangler = start(
      servers,
      options.startScript ? "wrangler dev (scripts/start.mjs)" : "wrangler dev",
      process.execPath,
      [
        ...command,
        "--ip",
        LOOPBACK,
        "--port",
        String(port),
        ...devServerFlags(inspectorPort, join(tempDir, "state"), envFile),
        "--var",
        `API_KEYS:${context.apiKey}`,
        "--var",
        `EXPORT_KEYS:${context.exportKey}`,
        "--var",
        `JWT_SIGNING_KEY:${context.jwtSigningKey}`,
        "--var",
        `ENCRYPTION_KEY:${encryptionKey}`,
        "--var",
        "LOGIN_REQUIRES_API_KEY:true",
        // Webhook retries after 1 s, 2 s, 4 s … (10 s, 20 s … by default): test/e2e/webhooks.test.ts
        // waits for a retry to reach a receiver that was down.
        "--var",
        "WEBHOOK_RETRY_BASE_SECONDS:1",
        // The receivers of test/e2e/webhooks.test.ts and of the webhook walk-through listen on 127.0.0.1.
        "--var",
        "WEBHOOK_ALLOW_LOOPBACK:true",
        // Twilio's magic test numbers (+1 500 555 …) are personal numbers, which the SMS guard refuses by default.
        "--var",
        "SMS_REFUSED_NUMBER_TYPES:premium-rate,shared-cost,satellite,non-geographic,toll-free",
        // Email through the simulated send_email binding, kept in the local outbox (as under `npm start`).
        "--var",
        "EMAIL_FROM:two-factor@example.com",
        "--var",
        "EMAIL_LOCAL_OUTBOX:true",
        ...Object.entries(options.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
      ],
      { cwd: root, log: join(logDir, "wrangler.log") },
    );
    await waitForHttp(wrangler, `${context.baseUrl}/api/status`, STARTUP_TIMEOUT_MS);

    project.provide("e2e", context);
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}

/** Whether a test file of this project failed, or the run had an error outside any test. */
function failed(project: TestProject): boolean {
  const { state } = project.vitest;
  if (state.getUnhandledErrors().length > 0) return true;
  return state.getTestModules().some((module) => module.project.name === project.name && module.state() === "failed");
}

/** Prints the end of each server's log, for a run that failed. */
function printLogs(name: string, servers: Server[], root: string): void {
  const out = [`\n[${name}] Something failed: the ends of the servers' logs follow (whole logs in test-results/${name}/).`];
  for (const server of servers) {
    const lines = readLog(server).replace(/\n$/, "").split("\n");
    const shown = lines.slice(-FAILURE_LOG_LINES);
    const extent = shown.length < lines.length ? `last ${shown.length} of ${lines.length} lines` : `${lines.length} line${lines.length === 1 ? "" : "s"}`;
    out.push(`──── ${server.name}: ${relative(root, server.log)} (${extent}) ────`, ...shown);
  }
  out.push(`──── end of the ${name} servers' logs ────\n`);
  process.stderr.write(`${out.join("\n")}\n`);
}

/** What every local `wrangler dev` of the suites is started with besides its address and vars: its own inspector port, state and (empty) env file, and no interactive session. */
export const devServerFlags = (inspectorPort: number, stateDir: string, envFile: string): string[] => [
  "--inspector-port",
  String(inspectorPort),
  "--persist-to",
  stateDir,
  "--env-file",
  envFile,
  "--show-interactive-dev-session=false",
];

/**
 * A `wrangler dev` of this Worker for one test file (beside the shared one): `vars` are its only
 * settings (an empty env file stands in for .dev.vars), its state lives in `stateDir`, so a server
 * started again on the same directory finds what the last one stored. Answers its base URL once
 * `/api/status` answers.
 */
export async function startDevServer(
  servers: Server[],
  name: string,
  options: { root: string; stateDir: string; vars: Record<string, string>; log: string },
): Promise<string> {
  const [port, inspectorPort] = await freePorts(2);
  const envFile = `${options.stateDir}.env`;
  writeFileSync(envFile, "# Empty on purpose: this server's settings are its --var flags.\n", { mode: 0o600 });
  mkdirSync(dirname(options.log), { recursive: true });
  const args = [
    join(options.root, "node_modules", "wrangler", "bin", "wrangler.js"),
    "dev",
    "--ip",
    LOOPBACK,
    "--port",
    String(port!),
    ...devServerFlags(inspectorPort!, options.stateDir, envFile),
    ...Object.entries(options.vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  const server = start(servers, name, process.execPath, args, { cwd: options.root, log: options.log });
  const baseUrl = `http://${LOOPBACK}:${port}`;
  await waitForHttp(server, `${baseUrl}/api/status`, STARTUP_TIMEOUT_MS);
  return baseUrl;
}

export function start(servers: Server[], name: string, command: string, args: string[], options: { cwd: string; log: string }): Server {
  const fd = openSync(options.log, "w");
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      detached: true, // its own process group, killed as a whole in stop()
      stdio: ["ignore", fd, fd],
      env: serverEnv(),
    });
    const server = { name, child, log: options.log };
    servers.push(server);
    child.on("error", () => {}); // reported by the readiness checks, which see the process gone
    return server;
  } finally {
    closeSync(fd);
  }
}

export function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" };
  // Nothing from this process's environment may become a Worker binding.
  delete env.CLOUDFLARE_INCLUDE_PROCESS_ENV;
  delete env.CLOUDFLARE_ENV;
  return env;
}

export async function stop(server: Server): Promise<void> {
  const pid = server.child.pid;
  if (pid === undefined) return;
  signalGroup(pid, "SIGTERM");
  if (await groupGone(pid, STOP_GRACE_MS)) return;
  signalGroup(pid, "SIGKILL");
  if (!(await groupGone(pid, 5_000))) console.warn(`[e2e] ${server.name} (process group ${pid}) survived SIGKILL`);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return true;
    await sleep(100);
  }
  return !groupAlive(pgid);
}

/** Whether any live (non-zombie) process is in the group. Zombies hold no ports and no memory. */
function groupAlive(pgid: number): boolean {
  if (process.platform === "linux") {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces and ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
      } catch {
        // The process ended while we looked.
      }
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForLogLine(server: Server, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(readLog(server));
    if (match) return match[1]!;
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw startupFailure(server, "exited before it was ready");
    await sleep(50);
  }
  throw startupFailure(server, `printed no line matching ${pattern} within ${timeoutMs} ms`);
}

export async function waitForHttp(server: Server, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw startupFailure(server, "exited before it was ready");
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(250);
  }
  throw startupFailure(server, `did not answer 200 on ${url} within ${timeoutMs} ms (last: ${last})`);
}

function startupFailure(server: Server, what: string): Error {
  const tail = readLog(server).split("\n").slice(-40).join("\n");
  return new Error(`[e2e] ${server.name} ${what}. Log ${server.log}, last lines:\n${tail}`);
}

function readLog(server: Server): string {
  try {
    return readFileSync(server.log, "utf8");
  } catch {
    return "";
  }
}

/** Distinct ports that were free a moment ago on the loopback interface (all held until all are found). */
export async function freePorts(count: number): Promise<number[]> {
  const probes = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<NetServer>((resolve, reject) => {
          const probe = createServer();
          probe.once("error", reject);
          probe.listen(0, LOOPBACK, () => resolve(probe));
        }),
    ),
  );
  const ports = probes.map((probe) => {
    const address = probe.address();
    return typeof address === "object" && address ? address.port : 0;
  });
  await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  if (ports.some((port) => !port)) throw new Error("could not find free ports");
  return ports;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
