// An unknown login id and a wrong password answer 404 in similar time. In workerd the clock only
// moves across I/O (a Spectre mitigation), so a measured login time is the time of its KV and Durable
// Object round trips; PBKDF2 work does not show, and test/routes/login.test.ts already checks both paths
// derive one hash with the same iterations. So: the medians of 31 interleaved logins each, within 20%
// (plus the clock's 1 ms tick), and the round trips each path makes, counted. Each unknown login id
// has an object of its own, as each user has: both are touched once before they are timed (a user's
// by its creation), so the comparison is of the work done, not of objects starting up.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import app from "../../src/index";
import { API_KEY, createUser, uniqueEmail } from "../helpers";

const RUNS = 31;
/** Five wrong passwords in a minute lock a user: each user takes at most four. */
const ATTEMPTS_PER_USER = 4;

afterEach(() => {
  vi.restoreAllMocks();
});

async function timedLogin(loginId: string): Promise<number> {
  const started = performance.now();
  const response = await app.request(
    "/api/login",
    {
      method: "POST",
      headers: { Authorization: API_KEY, "Content-Type": "application/json" },
      body: JSON.stringify({ loginId, password: "not the password" }),
    },
    env,
  );
  await response.arrayBuffer();
  const elapsed = performance.now() - started;
  expect(response.status).toBe(404);
  return elapsed;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("an unknown login id and a wrong password", () => {
  it("take the same time, as medians of 31 interleaved logins each", async () => {
    const users = await Promise.all(Array.from({ length: Math.ceil((RUNS + 1) / ATTEMPTS_PER_USER) }, () => createUser()));
    const logins = users.flatMap((user) => Array.from({ length: ATTEMPTS_PER_USER }, () => user.email));
    const strangers = Array.from({ length: Math.ceil((RUNS + 1) / (ATTEMPTS_PER_USER - 1)) }, () => uniqueEmail("nobody"));
    for (const stranger of strangers) await timedLogin(stranger);
    const unknownLogins = strangers.flatMap((stranger) => Array.from({ length: ATTEMPTS_PER_USER - 1 }, () => stranger));
    // Warm up both paths (Durable Object start, key imports) before measuring.
    await timedLogin(unknownLogins.pop()!);
    await timedLogin(logins.pop()!);
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      unknown.push(await timedLogin(unknownLogins[run]!));
      wrong.push(await timedLogin(logins[run]!));
    }
    const [a, b] = [median(unknown), median(wrong)];
    expect(Math.abs(a - b), `median ${a} ms for an unknown login id, ${b} ms for a wrong password`).toBeLessThanOrEqual(0.2 * Math.max(a, b) + 1);
  });

  it("make the same number of KV reads and Durable Object calls", async () => {
    const user = await createUser();
    const kvGet = vi.spyOn(env.KV, "get");
    const guards = vi.spyOn(env.USER_GUARD, "get");
    const roundTrips = async (loginId: string) => {
      vi.clearAllMocks();
      await timedLogin(loginId);
      return { kvReads: kvGet.mock.calls.length, durableObjects: guards.mock.calls.length };
    };
    const unknown = await roundTrips(uniqueEmail("nobody"));
    const wrong = await roundTrips(user.email);
    expect(wrong.kvReads).toBeGreaterThan(0);
    expect(unknown).toEqual(wrong);
  });
});
