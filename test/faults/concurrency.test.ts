// Time and concurrency: a code computed just before a 30 s boundary still works just after it (the
// Worker and its Durable Objects share this isolate's faked Date), an enable racing a disable of one
// user ends in one consistent state, and distinct valid codes racing on many challenges succeed at
// most once per time step.
import { legacyDelivery } from "../../src/domain/methods";
import { twoFactorEnabled } from "../../src/domain/user";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  advanceClock,
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  login,
  newSecret,
  startTwoFactorLogin,
  STEP_MS,
  twoFactorLogin,
} from "../helpers";
import { readAccount } from "../storage";

afterEach(() => {
  vi.useRealTimers();
});

/** Freezes Date 1 ms before the next 30 s boundary; returns that instant. */
function justBeforeBoundary(): number {
  vi.useFakeTimers({ toFake: ["Date"] });
  const now = Math.ceil((Date.now() + STEP_MS) / STEP_MS) * STEP_MS - 1;
  vi.setSystemTime(now);
  return now;
}

const guardTwoFactor = async (userId: string) => {
  const { user } = await readAccount(userId);
  return { enabled: twoFactorEnabled(user), methods: user.twoFactor.methods, delivery: legacyDelivery(user.twoFactor.methods) };
};
const shownEnabled = async (userId: string) =>
  ((await (await call("GET", `/api/user/${userId}`)).json()) as { user: { twoFactorEnabled: boolean } }).user.twoFactorEnabled;

describe("a code at a 30 s boundary", () => {
  it("completes a login with the code of the step that just ended", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const before = justBeforeBoundary();
    const twoFactorId = await startTwoFactorLogin(user);
    const code = await codeFor(user.secret, 0, before);
    advanceClock(0.002);
    expect(Math.floor(Date.now() / STEP_MS)).toBe(Math.floor(before / STEP_MS) + 1);
    expect((await twoFactorLogin({ twoFactorId, code })).status).toBe(200);
  });

  it("enables 2FA with the code of the step that just ended", async () => {
    const user = await createUser();
    const secret = await newSecret();
    const before = justBeforeBoundary();
    const code = await codeFor(secret, 0, before);
    advanceClock(0.002);
    expect((await call("PUT", `/api/user/two-factor/${user.id}`, { body: { code, secret } })).status).toBe(200);
  });

  it("refuses the same code two boundaries later", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const before = justBeforeBoundary();
    const twoFactorId = await startTwoFactorLogin(user);
    const code = await codeFor(user.secret, 0, before);
    advanceClock(30.002);
    expect((await twoFactorLogin({ twoFactorId, code })).status).toBe(421);
  });
});

describe("an enable racing a disable of one user", () => {
  it("ends with the guard, GET /api/user and login agreeing, and never 2FA on without a secret", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS + 5_000);
    const users = await Promise.all(Array.from({ length: 6 }, () => createTwoFactorUserWithoutCode()));
    const next = await Promise.all(users.map(() => newSecret()));
    const outcomes = await Promise.all(
      users.map(async (user, index) => {
        const secret = next[index]!;
        // The disable uses this step; the enable the next one, which the ±1 window accepts after it.
        const [disabled, enabled] = await Promise.all([
          call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret)}`),
          call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret, 1), secret } }),
        ]);
        return { disable: disabled.status, enable: enabled.status };
      }),
    );
    advanceClock(30);
    for (const [index, user] of users.entries()) {
      const outcome = outcomes[index]!;
      const guard = await guardTwoFactor(user.id);
      // Enable first: 400 "already enabled", then the disable wins. Disable first: the new secret is on.
      expect(outcome.disable, JSON.stringify(outcome)).toBe(200);
      expect([200, 400], JSON.stringify(outcome)).toContain(outcome.enable);
      expect(guard.enabled).toBe(outcome.enable === 200);
      if (guard.enabled) expect(guard.methods).toHaveLength(1);
      expect(await shownEnabled(user.id)).toBe(guard.enabled);
      const started = await login(user.email, user.password);
      expect(started.status).toBe(guard.enabled ? 242 : 200);
      if (guard.enabled) {
        const { twoFactorId } = (await started.json()) as { twoFactorId: string };
        expect((await twoFactorLogin({ twoFactorId, code: await codeFor(next[index]!, 1) })).status).toBe(200);
      }
    }
  });
});

describe("distinct valid codes racing on many challenges", () => {
  it("succeed at most once per time step, the newest step always, and count no failure", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS + 10_000);
    const user = await createTwoFactorUserWithoutCode();
    const challenges: string[] = [];
    for (let i = 0; i < 10; i++) challenges.push(await startTwoFactorLogin(user));
    const codes = await Promise.all([-1, 0, 1].map((steps) => codeFor(user.secret, steps)));
    expect(new Set(codes).size).toBe(3);
    const sent = challenges.map((twoFactorId, index) => ({ twoFactorId, code: codes[index % 3]! }));
    const statuses = (await Promise.all(sent.map((body) => twoFactorLogin(body)))).map((response) => response.status);

    const successes = sent.filter((_, index) => statuses[index] === 200).map(({ code }) => codes.indexOf(code) - 1);
    expect(
      statuses.every((status) => status === 200 || status === 421),
      statuses.join(","),
    ).toBe(true);
    expect(new Set(successes).size, `steps that succeeded: ${successes.join(",")}`).toBe(successes.length);
    expect(successes).toContain(1);
    const { guard } = await readAccount(user.id);
    expect(guard.lastAcceptedStep).toBe(Math.floor(Date.now() / STEP_MS) + 1);
    expect(guard.consecutiveCodeFailures).toBe(0);
    // Every step up to the newest is used up now: none of the three codes works again.
    const fresh = await startTwoFactorLogin(user);
    for (const code of codes) expect((await twoFactorLogin({ twoFactorId: fresh, code })).status).toBe(421);
  });
});
