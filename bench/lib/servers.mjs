// Starting and stopping what the benchmark talks to: the Worker bundle (built once by wrangler's
// dry-run deploy), Miniflare instances (workerd children of this process, no wrangler dev proxy)
// and the fake Twilio. Every process started here is tracked by PID and stopped by PID, on
// success, on error and on SIGINT/SIGTERM.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";

const LOOPBACK = "127.0.0.1";
const cleanups = [];
let cleaning = null;

/** Registers `fn` to run (last registered first) when the run ends, fails or is interrupted. */
/** The real Worker's Durable Object bindings, as in wrangler.toml. */
export const WORKER_DURABLE_OBJECTS = { USER_GUARD: "UserGuard", IDENTIFIER_CLAIM: "IdentifierClaim", PHONE_THROTTLE: "PhoneThrottle" };

export function onCleanup(fn) {
  cleanups.push(fn);
}

export function cleanupAll() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (error) {
        console.error(`[bench] cleanup failed: ${error?.message ?? error}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    console.error(`\n[bench] ${signal}: stopping everything this run started`);
    cleanupAll().finally(() => process.exit(130));
  });
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix) {
  return tempDirIn(tmpdir(), prefix);
}

export function tempDirIn(parent, prefix) {
  const dir = mkdtempSync(join(parent, prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
  return dir;
}

/**
 * Bundles the Worker as a deploy would (`wrangler deploy --dry-run`, run from `root` with the
 * wrangler it installed) into `bench/.build/<name>`; answers the bundle's path.
 */
export async function buildWorker(root, name, config = join(root, "wrangler.toml")) {
  const outdir = join(root, "bench/.build", name);
  await run(process.execPath, [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--config", config, "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
  });
  return join(outdir, "index.js");
}

/** Runs a command to completion; rejects with its output on a non-zero exit. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const kill = () => child.exitCode === null && child.kill("SIGKILL");
    onCleanup(kill);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${output}`))));
  });
}

/** PIDs of this process's live children whose executable name is `name`. */
export function childPids(name) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) === process.pid && comm === name && state !== "Z") pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** VmRSS and VmHWM of a process, in MiB. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, peakRssMiB: kib("VmHWM") / 1024 };
}

/**
 * SQLite databases a workerd process has open: one per live SQLite-backed Durable Object (plus a
 * few for KV and the cache). workerd caps SQLite at 512 MiB per process (sqlite3_hard_heap_limit),
 * which at ~180 KiB per open database is about 2,800 live objects; past that, storage calls fail
 * with SQLITE_NOMEM. An object stays open ~10–15 s after its last request.
 */
export function openSqliteDatabases(pid) {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).endsWith(".sqlite")) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

/** Waits (at most `timeoutMs`) until the process has at most `max` SQLite databases open; returns how long it waited. */
export async function waitForOpenDatabases(pid, max, timeoutMs = 40_000) {
  const started = performance.now();
  while (openSqliteDatabases(pid) > max) {
    if (performance.now() - started > timeoutMs) throw new Error(`workerd ${pid} still has more than ${max} SQLite databases open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return performance.now() - started;
}

/** CPU time (user + system) of a process in seconds, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * CPU seconds per thread name of a process (/proc/<pid>/task/<tid>/stat), summed over the threads
 * that share a name (workerd's event loop, V8's platform workers, …): shows where a process's CPU
 * goes that a V8 profile of the isolate thread does not see.
 */
export function cpuSecondsByThread(pid) {
  const byName = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return byName;
}

/**
 * Starts one Worker in its own workerd on a free loopback port. State (SQLite Durable Objects, KV)
 * lives in a fresh temp dir removed at the end. Returns the URL, the workerd PID and a stop().
 */
export async function startWorker({ name, scriptPath, durableObjects, bindings = {}, kv = true, log, storage = "disk", inspectorPort }) {
  const before = new Set(childPids("workerd"));
  const port = await freePort();
  const persistRoot = storage === "shm" ? tempDirIn("/dev/shm", `bench-${name}-`) : tempDir(`bench-${name}-`);
  const lines = [];
  const mf = new Miniflare({
    name,
    host: LOOPBACK,
    port,
    modules: true,
    scriptPath,
    compatibilityDate: "2026-04-01",
    cf: false, // offline: do not fetch the Request.cf fixture
    kvNamespaces: kv ? { KV: `${name}-kv` } : undefined,
    durableObjects: Object.fromEntries(Object.entries(durableObjects).map(([binding, className]) => [binding, { className, useSQLite: true }])),
    bindings,
    defaultPersistRoot: persistRoot,
    unsafeEphemeralDurableObjects: storage === "memory",
    inspectorPort, // the V8 inspector (bench/v8-profile.mjs), off unless a port is given
    // The Worker's own console output (e.g. sms.sent lines) is kept, not printed: printing
    // thousands of lines would slow the run. The last lines are shown if something fails.
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding("utf8");
        stream.on("data", (chunk) => {
          for (const line of chunk.split("\n")) if (line) lines.push(line);
          if (lines.length > 400) lines.splice(0, lines.length - 200);
          log?.(chunk);
        });
      }
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await mf.dispose();
  };
  onCleanup(stop);
  let url;
  try {
    url = (await mf.ready).toString().replace(/\/$/, "");
  } catch (error) {
    stopped = true; // nothing to dispose
    throw new Error(`${name}: workerd failed to start: ${error.message}\n${lines.slice(-20).join("\n")}`);
  }
  const pid = childPids("workerd").find((candidate) => !before.has(candidate));
  if (!pid) throw new Error(`could not find the workerd process of ${name}`);
  return { name, mf, url, pid, stop, lines };
}

/** The fake Twilio (test/fake-twilio/server.mjs) on a free port, as a child process stopped by PID. */
export async function startFakeTwilio(root) {
  const child = spawn(process.execPath, [join(root, "test/fake-twilio/server.mjs"), "--port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(stop);
  const url = await new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`fake Twilio did not start:\n${output}`)), 15_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = /fake-twilio listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on("data", (chunk) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`fake Twilio exited ${code}:\n${output}`)));
  });
  return { url, pid: child.pid, stop };
}

/**
 * Pins this process (autocannon runs in it; the fake Twilio and workerd, its children, inherit it)
 * to the first CPU and answers `{ workers, load, pinWorker(pid) }`, which moves a started Worker's
 * workerd to the last CPU. Null, and nothing pinned, when `enabled` is false, the machine has one
 * CPU or util-linux's `taskset` is missing. Why: bench/README.md "CPU pinning".
 */
export function pinLoadGenerator(enabled = true) {
  const count = cpus().length;
  if (!enabled || count < 2 || spawnSync("taskset", ["--version"]).status !== 0) return null;
  const plan = { workers: count - 1, load: 0 };
  pinToCpu(process.pid, plan.load);
  return { ...plan, pinWorker: (pid) => pinToCpu(pid, plan.workers) };
}

/** Pins every thread of process `pid` to `cpu`; the threads and children it starts later inherit it. */
function pinToCpu(pid, cpu) {
  const result = spawnSync("taskset", ["--all-tasks", "--cpu-list", "--pid", String(cpu), String(pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`taskset ${cpu} ${pid}: ${result.stderr.trim()}`);
}

/** Fresh random secrets in the formats the Worker expects (README Configuration). */
export function randomSecrets() {
  return {
    API_KEYS: `bench-${randomBytes(24).toString("hex")}`,
    JWT_SIGNING_KEY: randomBytes(32).toString("base64"),
    ENCRYPTION_KEY: `bench1:${randomBytes(32).toString("base64")}`,
  };
}
