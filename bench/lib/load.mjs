// One bounded load run with autocannon (programmatic API), summarised the same way for every
// benchmark: throughput from our own wall clock (autocannon's `duration` is rounded to whole
// seconds), latency percentiles, status counts, what was unexpected, and the CPU the server
// process spent per request (read from /proc, so it does not depend on the load generator).
import autocannon from "autocannon";
import { cpuSecondsByThread, cpuSecondsOf, openSqliteDatabases } from "./servers.mjs";

/**
 * @param {object} o
 * @param {string} o.name
 * @param {string} o.url           base URL
 * @param {number[]} o.expect      statuses that count as success (e.g. [242])
 * @param {number} [o.amount]      total requests (exact), or
 * @param {number} [o.duration]    seconds
 * @param {object[]} o.requests    autocannon requests (method, path, headers, body, setupRequest, onResponse)
 * @param {number[]} [o.pids]      server PIDs whose CPU time is reported per request (first one = the Worker)
 * @param {string[]} [o.logs]      the Worker's output lines, kept in the summary when something was unexpected
 */
export async function load({ name, url, expect = [200], amount, duration, connections = 32, requests, pids = [], logs }) {
  // The Worker's live SQLite Durable Objects, sampled during the run (see openSqliteDatabases).
  let peakOpenDatabases = pids.length ? openSqliteDatabases(pids[0]) : 0;
  const sampler = pids.length ? setInterval(() => (peakOpenDatabases = Math.max(peakOpenDatabases, openSqliteDatabases(pids[0]))), 1000) : null;
  const cpuBefore = pids.map(cpuSecondsOf);
  const threadCpuBefore = pids.length ? cpuSecondsByThread(pids[0]) : {};
  const loadCpuBefore = process.cpuUsage();
  const started = performance.now();
  let lastResponseAt = started;
  const errorKinds = {};
  // autocannon only notices an `amount` run is over at its next 1 s tick, so time runs to the last response.
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, pipelining: 1, timeout: 30, ...(amount ? { amount } : { duration }), requests }, (error, finished) =>
      error ? reject(error) : resolve(finished),
    );
    instance.on("response", () => (lastResponseAt = performance.now()));
    instance.on("reqError", (error) => {
      const key = error?.code ?? error?.message ?? String(error);
      errorKinds[key] = (errorKinds[key] ?? 0) + 1;
    });
  });
  const seconds = (lastResponseAt - started) / 1000;
  if (sampler) clearInterval(sampler);
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const cpu = pids.map((pid, i) => cpuSecondsOf(pid) - cpuBefore[i]);
  const threadCpu = pids.length ? cpuSecondsByThread(pids[0]) : {};

  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, Number(count)]));
  const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
  const unexpectedStatuses = Object.entries(statuses)
    .filter(([status]) => !expect.includes(Number(status)))
    .reduce((a, [, n]) => a + n, 0);
  const summary = {
    name,
    connections,
    bound: amount ? { amount } : { duration },
    startedAtSecond: round(started / 1000, 1), // since the bench started: lines up rounds with deferred work
    seconds: round(seconds, 3),
    responses,
    requestsPerSecond: round(responses / seconds, 1),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: round(result.latency.average, 2),
      max: result.latency.max,
    },
    statuses,
    expected: expect,
    non2xx: result.non2xx,
    errors: result.errors,
    errorKinds,
    timeouts: result.timeouts,
    unexpectedStatuses,
    // Requests that got neither a response nor an error: autocannon silently re-connects when the
    // server closes a connection with a request in flight, and never resends it.
    lost: amount ? Math.max(0, amount - responses - result.errors) : 0,
    // Connection errors + timeouts + lost requests: no status at all.
    transportFailures: result.errors + (amount ? Math.max(0, amount - responses - result.errors) : 0),
    unexpected: unexpectedStatuses + result.errors + (amount ? Math.max(0, amount - responses - result.errors) : 0),
    serverCpuMsPerRequest: cpu.map((s) => round((s * 1000) / Math.max(responses, 1), 3)),
    // The Worker's CPU per request by thread name (threads that ended during the run are missing).
    workerCpuMsPerRequestByThread: Object.fromEntries(
      Object.entries(threadCpu)
        .map(([thread, seconds]) => [thread, round(((seconds - (threadCpuBefore[thread] ?? 0)) * 1000) / Math.max(responses, 1), 3)])
        .filter(([, ms]) => ms > 0),
    ),
    serverCpuUtilisation: cpu.map((s) => round(s / seconds, 2)),
    loadGeneratorCpuUtilisation: round((loadCpu.user + loadCpu.system) / 1e6 / seconds, 2),
    peakOpenDatabases,
  };
  // For a post-mortem: what the Worker printed last (`logs` is the server's line buffer).
  if (summary.unexpected && logs) summary.workerLogTail = logs.slice(-30);
  const line = [
    name.padEnd(34),
    `${String(summary.requestsPerSecond).padStart(8)} req/s`,
    `p50 ${String(summary.latencyMs.p50).padStart(4)} ms`,
    `p99 ${String(summary.latencyMs.p99).padStart(4)} ms`,
    `n=${responses}`,
    `unexpected=${summary.unexpected}`,
    `cpu/req ${summary.serverCpuMsPerRequest[0] ?? "-"} ms`,
  ].join("  ");
  console.log(
    `  ${line}${summary.unexpected ? `  statuses=${JSON.stringify(statuses)} errors=${JSON.stringify(errorKinds)} timeouts=${result.timeouts} lost=${summary.lost}` : ""}`,
  );
  if (summary.workerLogTail)
    console.log(
      summary.workerLogTail
        .filter((l) => !l.startsWith("stack:"))
        .slice(-8)
        .map((l) => `    | ${l.slice(0, 300)}`)
        .join("\n"),
    );
  return summary;
}

export const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs `fn` over `items` with at most `limit` in flight; rejects on the first failure. */
export async function pool(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
