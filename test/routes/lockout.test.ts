// Lockouts that stop attackers, not users. An unknown login id behaves exactly like a known one with
// a wrong password, lockout included; failures from unfamiliar sources lock unfamiliar sources only,
// so the owner's own network or trusted device still gets in (NIST SP 800-63B §5.2.2); an admin can
// lift every lock.
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, codeFor, createTwoFactorUserWithoutCode, createUser, login, startTwoFactorLogin, twoFactorLogin, uniqueEmail, wrongCode } from "../helpers";

const HOME = "198.51.100.7";
const ATTACKER = (n: number) => `203.0.113.${n % 250}`;

afterEach(() => {
  vi.useRealTimers();
});

/** Freezes Date at `at` (the Worker and its objects run in this isolate and see it too). */
function clockAt(at: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(at);
}

const attempt = async (loginId: string, password: string, ipAddress?: string) => {
  const response = await login(loginId, password, ipAddress ? { ipAddress } : {});
  return { status: response.status, retryAfter: response.headers.get("Retry-After") };
};

describe("no existence oracle", () => {
  it("gives six wrong passwords for a known and an unknown login id the same statuses and Retry-After", async () => {
    const user = await createUser();
    const stranger = uniqueEmail("nobody");
    const known: Array<{ status: number; retryAfter: string | null }> = [];
    const unknown: typeof known = [];
    for (let i = 0; i < 6; i++) {
      known.push(await attempt(user.email, "not the password"));
      unknown.push(await attempt(stranger, "not the password"));
    }
    expect(known.map((a) => a.status)).toEqual([404, 404, 404, 404, 404, 409]);
    expect(unknown.map((a) => a.status)).toEqual(known.map((a) => a.status));
    expect(Math.abs(Number(unknown[5]!.retryAfter) - Number(known[5]!.retryAfter))).toBeLessThanOrEqual(1);
    // And the right password is locked out alike for the known user: the lock is no password oracle.
    expect((await attempt(user.email, user.password)).status).toBe(409);
  });
});

describe("a stranger renewing failures", () => {
  it("cannot keep the owner's network out: five failures every 3 minutes for two hours", async () => {
    const user = await createUser();
    const start = Date.now();
    clockAt(start);
    expect((await attempt(user.email, user.password, HOME)).status).toBe(200);
    for (let round = 0; round < 40; round++) {
      clockAt(start + (round + 1) * 180_000);
      for (let i = 0; i < 5; i++) await attempt(user.email, "guessed password", ATTACKER(round + i));
      expect((await attempt(user.email, "guessed password", ATTACKER(round))).status).toBe(409);
      expect((await attempt(user.email, user.password, "198.51.100.200")).status).toBe(200);
    }
  }, 30_000); // 280 requests: about 2 s alone, several times that beside the other suites

  it("cannot keep the owner's trusted device out, even from the attacker's own network", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const trusted = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret), trustComputer: true });
    const { twoFactorTrustId } = (await trusted.json()) as { twoFactorTrustId: string };
    for (let i = 0; i < 5; i++) await attempt(user.email, "guessed password", ATTACKER(1));
    expect((await attempt(user.email, user.password, ATTACKER(1))).status).toBe(409);
    const owner = await login(user.email, user.password, { ipAddress: ATTACKER(1), twoFactorTrustId });
    expect(owner.status).toBe(200);
  });

  it("cannot keep the owner's trusted device out from the owner's own /24", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const started = await login(user.email, user.password, { ipAddress: HOME });
    const { twoFactorId } = (await started.json()) as { twoFactorId: string };
    const trusted = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret), trustComputer: true });
    const { twoFactorTrustId } = (await trusted.json()) as { twoFactorTrustId: string };
    for (let i = 0; i < 5; i++) await attempt(user.email, "guessed password", "198.51.100.99");
    expect((await attempt(user.email, user.password, "198.51.100.99")).status).toBe(409);
    expect((await login(user.email, user.password, { ipAddress: HOME, twoFactorTrustId })).status).toBe(200);
  });

  it("who knows the password and locks the second factor from elsewhere, still lets the owner finish 2FA at home", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const first = await login(user.email, user.password, { ipAddress: HOME });
    const { twoFactorId } = (await first.json()) as { twoFactorId: string };
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const pending = await login(user.email, user.password, { ipAddress: ATTACKER(i) });
      const id = ((await pending.json()) as { twoFactorId: string }).twoFactorId;
      expect((await twoFactorLogin({ twoFactorId: id, code: await wrongCode(user.secret) })).status).toBe(421);
    }
    expect((await attempt(user.email, user.password, ATTACKER(9))).status).toBe(409);
    const home = await login(user.email, user.password, { ipAddress: HOME });
    expect(home.status).toBe(242);
    const homeId = ((await home.json()) as { twoFactorId: string }).twoFactorId;
    expect((await twoFactorLogin({ twoFactorId: homeId, code: await codeFor(user.secret, 1) })).status).toBe(200);
  });

  it("does not believe a body ipAddress from a caller without an API key", async () => {
    const user = await createUser();
    expect((await attempt(user.email, user.password, HOME)).status).toBe(200);
    for (let i = 0; i < 5; i++) await attempt(user.email, "guessed password", ATTACKER(i));
    const body = JSON.stringify({ loginId: user.email, password: user.password, ipAddress: HOME });
    const { default: app } = await import("../../src/index");
    const { env } = await import("cloudflare:workers");
    const open = await app.request(
      "/api/login",
      { method: "POST", headers: { "Content-Type": "application/json" }, body },
      { ...env, LOGIN_REQUIRES_API_KEY: "false" },
    );
    expect(open.status).toBe(409);
  });
});

describe("an admin lifting locks", () => {
  it("clears the password and the code locks with POST /api/user/unlock/{userId}", async () => {
    const user = await createTwoFactorUserWithoutCode();
    for (let i = 0; i < 5; i++) {
      const twoFactorId = await startTwoFactorLogin(user);
      await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) });
    }
    for (let i = 0; i < 5; i++) await attempt(user.email, "guessed password");
    expect((await attempt(user.email, user.password)).status).toBe(409);
    expect((await call("POST", `/api/user/unlock/${user.id}`, { apiKey: null })).status).toBe(401);
    const unlocked = await call("POST", `/api/user/unlock/${user.id}`);
    expect({ status: unlocked.status, body: await unlocked.text(), type: unlocked.headers.get("Content-Type") }).toEqual({ status: 200, body: "", type: null });
    expect((await attempt(user.email, user.password)).status).toBe(242);
    expect((await call("POST", `/api/user/unlock/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call("POST", "/api/user/unlock/not-an-id")).status).toBe(400);
  });

  it("clears the password lock by setting a new password, and the code lock by turning 2FA off", async () => {
    const user = await createTwoFactorUserWithoutCode();
    for (let i = 0; i < 5; i++) await attempt(user.email, "guessed password");
    const password = "a new password for you";
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { password } } })).status).toBe(200);
    expect((await attempt(user.email, password)).status).toBe(242);

    for (let i = 0; i < 5; i++) {
      const twoFactorId = await startTwoFactorLogin({ email: user.email, password });
      await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) });
    }
    expect((await attempt(user.email, password)).status).toBe(409);
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: false } } })).status).toBe(200);
    expect((await attempt(user.email, password)).status).toBe(200);
  });
});
