// The two-factor login: the tutorial flow, errors, replay and atomicity, lockout
// across challenges and challenge expiry. Trust and stale-KV cases are in two-factor-trust.test.ts.
// Every test makes its own users. A code is computed right before it is sent, and a user gets at most
// two successful codes (current step, then next step) so a 30 s boundary crossing cannot break a test.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { decodeBase32 } from "../../src/domain/encoding";
import { totpCode } from "../../src/crypto/totp";
import {
  call,
  codeFor,
  createTwoFactorUser,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  jsonBody,
  login,
  newSecret,
  setCookies,
  startTwoFactorLogin,
  STEP_MS,
  advanceClock,
  freezeClock,
  twoFactorLogin,
  wrongCode,
} from "../helpers";
import { editAccount, expireChallenge, challengeOf, readAccount, readChallenge } from "../storage";

const EMPTY = { contentType: null, body: "" };

const TWO_FACTOR_ID = /^[A-Za-z0-9_-]{43}$/;

/** The prevent-login 409: returns `actions[0].expiry`. */
async function preventedUntil(response: Response): Promise<number> {
  expect(response.status).toBe(409);
  const body = await jsonBody<{ actions: Array<{ expiry: number; name: string }> }>(response);
  expect(body.actions).toHaveLength(1);
  expect(body.actions[0]!.name).toBe("Prevent Login Action");
  return body.actions[0]!.expiry;
}

describe("the authenticator tutorial", () => {
  it("enables 2FA with a code from the Base32 secret and completes a 242 login without an Authorization header", async () => {
    const user = await createUser();
    const generated = await jsonBody<{ secret: string; secretBase32Encoded: string }>(await call("GET", "/api/two-factor/secret"));
    // What an authenticator app does with the QR code: decode the Base32 text and compute the TOTP.
    const key = decodeBase32(generated.secretBase32Encoded)!;
    const enabled = await call("PUT", `/api/user/two-factor/${user.id}`, {
      body: { code: await totpCode(key, Date.now()), secret: generated.secret, delivery: "None" },
    });
    expect(await emptyResponse(enabled)).toEqual({ status: 200, ...EMPTY });

    const started = await login(user.email, user.password);
    expect(started.status).toBe(242);
    const challenge = await jsonBody(started);
    // The 1.26+ superset: the user's methods (no secret), which legacy clients ignore.
    expect(Object.keys(challenge)).toEqual(["twoFactorId", "methods"]);
    expect(challenge.methods).toEqual([
      { id: expect.stringMatching(/^[A-Z0-9]{4}$/), method: "authenticator", authenticator: { algorithm: "HmacSHA1", codeLength: 6, timeStep: 30 } },
    ]);
    expect(challenge.twoFactorId).toMatch(TWO_FACTOR_ID);
    expect(setCookies(started).join("\n")).not.toContain("access_token");

    const done = await twoFactorLogin({ twoFactorId: challenge.twoFactorId, code: await totpCode(key, Date.now() + STEP_MS) });
    expect(done.status).toBe(200);
    const body = await jsonBody(done);
    expect(body.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(body.user.id).toBe(user.id);
    expect(body.user.twoFactorEnabled).toBe(true);
    expect(body.user).not.toHaveProperty("twoFactorSecret");
    expect(body.user).not.toHaveProperty("password");
  });
});

describe("two-factor login errors", () => {
  it("answers an empty 404 for an unknown twoFactorId of the right shape and for a malformed one", async () => {
    const unknown = "A".repeat(43);
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId: unknown, code: "123456" }))).toEqual({ status: 404, ...EMPTY });
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId: "abc", code: "123456" }))).toEqual({ status: 404, ...EMPTY });
  });

  it("answers 400 [blank]code without a code and 400 [blank]twoFactorId without an id", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const noCode = await twoFactorLogin({ twoFactorId });
    expect(noCode.status).toBe(400);
    expect((await jsonBody(noCode)).fieldErrors.code[0].code).toBe("[blank]code");
    const noId = await twoFactorLogin({ code: await codeFor(user.secret) });
    expect(noId.status).toBe(400);
    expect((await jsonBody(noId)).fieldErrors.twoFactorId[0].code).toBe("[blank]twoFactorId");
  });

  it("answers an empty 421 for a wrong code and keeps the challenge for another try", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const wrong = await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) });
    expect(await emptyResponse(wrong)).toEqual({ status: 421, ...EMPTY });
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
  });

  it("counts a wrong code resent at once (a browser's 421 retry) as one attempt", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const bad = await wrongCode(user.secret);
    for (let attempt = 1; attempt <= 6; attempt++) expect((await twoFactorLogin({ twoFactorId, code: bad })).status).toBe(421);
    expect((await readAccount(user.id)).guard.consecutiveCodeFailures).toBe(1);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
  });

  it("discards a challenge after five wrong codes, so a right sixth code gets 404", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status, `attempt ${attempt}`).toBe(421);
    }
    const sixth = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) });
    expect(await emptyResponse(sixth)).toEqual({ status: 404, ...EMPTY });
  });

  it("carries noJWT from the login to the two-factor login", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const started = await login(user.email, user.password, { noJWT: true });
    expect(started.status).toBe(242);
    const { twoFactorId } = await jsonBody<{ twoFactorId: string }>(started);
    const done = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) });
    expect(done.status).toBe(200);
    const body = await jsonBody(done);
    expect(body.user.id).toBe(user.id);
    expect(body).not.toHaveProperty("token");
    expect(setCookies(done).join("\n")).not.toContain("access_token");
  });

  it("uses a challenge once: a second valid code on it gets 404 but works on a new challenge", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    const next = await codeFor(user.secret, 1);
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId, code: next }))).toEqual({ status: 404, ...EMPTY });
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: next })).status).toBe(200);
  });
});

describe("replay protection (RFC 6238 §5.2)", () => {
  it("refuses a code on a second challenge once it logged in on the first", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const first = await startTwoFactorLogin(user);
    const second = await startTwoFactorLogin(user);
    const code = await codeFor(user.secret);
    expect((await twoFactorLogin({ twoFactorId: first, code })).status).toBe(200);
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId: second, code }))).toEqual({ status: 421, ...EMPTY });
  });

  it("refuses the enable code when it is submitted again to log in", async () => {
    const user = await createUser();
    const secret = await newSecret();
    const code = await codeFor(secret);
    expect((await call("POST", `/api/user/two-factor/${user.id}`, { body: { code, secret, delivery: "None" } })).status).toBe(200);
    const twoFactorId = await startTwoFactorLogin(user);
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId, code }))).toEqual({ status: 421, ...EMPTY });
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(secret, 1) })).status).toBe(200);
  });

  it("tells a used code from a wrong one in headers, with the seconds until the next code", async () => {
    const start = freezeClock(); // 10 s into a step
    try {
      const user = await createUser();
      const secret = await newSecret();
      const code = await codeFor(secret);
      expect((await call("POST", `/api/user/two-factor/${user.id}`, { body: { code, secret, delivery: "None" } })).status).toBe(200);
      const used = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
      expect(await emptyResponse(used)).toEqual({ status: 421, ...EMPTY });
      expect(used.headers.get("X-Two-Factor-Reason")).toBe("CodeAlreadyUsed");
      expect(used.headers.get("X-Two-Factor-Next-Code-In")).toBe("20");
      const wrong = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await wrongCode(secret) });
      expect(wrong.status).toBe(421);
      expect(wrong.headers.get("X-Two-Factor-Reason")).toBeNull();
      expect(wrong.headers.get("X-Two-Factor-Next-Code-In")).toBeNull();
      // Disabling with the used code says the same; once the next step begins its code works.
      advanceClock(5);
      const disable = await call("DELETE", `/api/user/two-factor/${user.id}?code=${code}`);
      expect([disable.status, disable.headers.get("X-Two-Factor-Reason"), disable.headers.get("X-Two-Factor-Next-Code-In")]).toEqual([
        421,
        "CodeAlreadyUsed",
        "15",
      ]);
      expect(Date.now() - start).toBe(5000);
      advanceClock(15);
      expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(secret)}`)).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("lets exactly one of twenty concurrent submissions of one code on twenty challenges log in", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const challenges: string[] = [];
    for (let i = 0; i < 20; i++) challenges.push(await startTwoFactorLogin(user));
    const code = await codeFor(user.secret);
    const responses = await Promise.all(challenges.map((twoFactorId) => twoFactorLogin({ twoFactorId, code })));
    const statuses = responses.map((response) => response.status);
    expect(
      statuses.filter((status) => status === 200),
      statuses.join(","),
    ).toHaveLength(1);
    expect(
      statuses.filter((status) => status === 421),
      statuses.join(","),
    ).toHaveLength(19);
  });

  it("does not count replays of a used code toward the lockout", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const challenges: string[] = [];
    for (let i = 0; i < 6; i++) challenges.push(await startTwoFactorLogin(user));
    const code = await codeFor(user.secret);
    expect((await twoFactorLogin({ twoFactorId: challenges[0]!, code })).status).toBe(200);
    const replays: number[] = [];
    for (const twoFactorId of challenges.slice(1)) replays.push((await twoFactorLogin({ twoFactorId, code })).status);
    expect(replays).toEqual([421, 421, 421, 421, 421]);
    // A replay is not a guess at the secret: the user is not locked out.
    expect((await login(user.email, user.password)).status).toBe(242);
  });

  it("lets only one of two different valid codes sent together complete one challenge", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const codes = [await codeFor(user.secret), await codeFor(user.secret, 1)];
    const responses = await Promise.all(codes.map((code) => twoFactorLogin({ twoFactorId, code })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 404]);
  });
});

describe("lockout across challenges", () => {
  it("locks login for 180 s after five wrong codes spread over two challenges", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const first = await startTwoFactorLogin(user);
    const second = await startTwoFactorLogin(user);
    for (const twoFactorId of [first, first, first, second, second]) {
      expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status).toBe(421);
    }
    const now = Date.now();
    const expiry = await preventedUntil(await login(user.email, user.password));
    expect(Math.abs(expiry - (now + 180_000))).toBeLessThanOrEqual(5_000);
    // The first challenge is still alive (three failures), but a right code cannot get through the lock.
    await preventedUntil(await twoFactorLogin({ twoFactorId: first, code: await codeFor(user.secret) }));
  });

  it("doubles the lock on the second series of five failures", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    await editAccount(user.id, ({ guard }) => {
      guard.consecutiveCodeFailures = 9;
      guard.codeLockedUntil = 0;
    });
    expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status).toBe(421);
    const now = Date.now();
    const expiry = await preventedUntil(await login(user.email, user.password));
    expect(Math.abs(expiry - (now + 360_000))).toBeLessThanOrEqual(5_000);
  });

  it("caps the lock at 24 hours", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    // The tenth lock would be 180 s × 2^9 = 25.6 h without the cap.
    await editAccount(user.id, ({ guard }) => {
      guard.consecutiveCodeFailures = 49;
      guard.codeLockedUntil = 0;
    });
    expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status).toBe(421);
    const now = Date.now();
    const expiry = await preventedUntil(await login(user.email, user.password));
    expect(Math.abs(expiry - (now + 86_400_000))).toBeLessThanOrEqual(5_000);
  });

  it("resets the count on a success: four wrong, one right, four wrong does not lock", async () => {
    const user = await createTwoFactorUser();
    const first = await startTwoFactorLogin(user);
    for (let i = 0; i < 4; i++) expect((await twoFactorLogin({ twoFactorId: first, code: await wrongCode(user.secret) })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: first, code: await codeFor(user.secret, 1) })).status).toBe(200);
    const second = await startTwoFactorLogin(user);
    for (let i = 0; i < 4; i++) expect((await twoFactorLogin({ twoFactorId: second, code: await wrongCode(user.secret) })).status).toBe(421);
    expect((await login(user.email, user.password)).status).toBe(242);
    expect((await readAccount(user.id)).guard.consecutiveCodeFailures).toBe(4);
  });
});

describe("challenge expiry", () => {
  it("sets an alarm at the expiry, and the alarm deletes an expired challenge", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const now = Date.now();
    const twoFactorId = await startTwoFactorLogin(user);
    const { stub } = await challengeOf(twoFactorId);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(Math.abs(alarm! - (now + 300_000))).toBeLessThanOrEqual(5_000);

    await expireChallenge(twoFactorId);
    // A new stub: the edit evicted the object the old one named.
    const evicted = (await challengeOf(twoFactorId)).stub;
    expect(await runDurableObjectAlarm(evicted)).toBe(true);
    expect(await readChallenge(twoFactorId)).toBeUndefined();
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) }))).toEqual({ status: 404, ...EMPTY });
    expect(await runDurableObjectAlarm(evicted)).toBe(false);
  });

  it("refuses a challenge past its expiry even before the alarm has run", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    await expireChallenge(twoFactorId);
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) }))).toEqual({ status: 404, ...EMPTY });
    expect(await runDurableObjectAlarm((await challengeOf(twoFactorId)).stub)).toBe(true);
  });

  it("keeps a live challenge when its alarm runs early", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const { stub } = await challengeOf(twoFactorId);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now());
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    // What is left is the replica write of the login instant, then nothing.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });
});
