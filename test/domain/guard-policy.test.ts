// The decisions of a user's Durable Object (src/domain/guard-policy.ts) as pure functions: no object,
// no HTTP, no clock. Accounts are built by hand and every call gets a deep-frozen input, so a
// function that modified its input would throw; the input is also compared with a copy afterwards.
//
// Sources for the rules checked here:
// - RFC 6238 §5.2 (a TOTP code is valid once; ±1 step of clock drift) and RFC 4226 §7.3 (throttle
//   wrong codes, here by locking login for a doubling time after every `failuresPerLock` of them).
// - FusionAuth's failedAuthenticationConfiguration (tooManyAttempts within resetCountSeconds lock
//   login for actionDuration) and its Login API (242 + twoFactorId, 421 for a wrong code, trust ids),
//   https://fusionauth.io/docs/v1/tech/apis/login and https://fusionauth.io/docs/v1/tech/apis/tenants.
import { describe, expect, it } from "vitest";
import { DEFAULTS, parseConfig, type Config } from "../../src/domain/config";
import {
  acceptableSteps,
  completeChallenge,
  decidePassword,
  disableTwoFactor,
  enableTwoFactor,
  isFamiliar,
  liveChallenge,
  newGuard,
  openChallenge,
  releaseSend,
  replaceUser,
  reserveChallengeSend,
  textStep,
  unlock,
  type Account,
  type Challenge,
  type ChallengeDetails,
  type Decision,
  type Source,
  type TrustedDevice,
} from "../../src/domain/guard-policy";
import { stepStart, timeStep } from "../../src/domain/totp";
import type { UserRecord } from "../../src/domain/user";

const SECOND = 1000;
/** 10 s into a time step, so a few seconds either way stay in the same step. */
const T0 = 56_666_667 * 30 * SECOND + 10 * SECOND;
const STEP = timeStep(T0);
/** A trusted device issued an hour before T0 that expires at `expiresAt`. */
const device = (expiresAt: number): TrustedDevice => ({ issuedAt: T0 - 3600 * SECOND, lastUsedAt: T0 - 3600 * SECOND, expiresAt });

const config: Config = parseConfig({});

const withConfig = (change: (copy: Config) => void): Config => {
  const copy = structuredClone(config);
  change(copy);
  return copy;
};

function userRecord(fields: Partial<UserRecord> = {}): UserRecord {
  return {
    id: "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0001",
    tenantId: "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0002",
    email: "ada@example.com",
    active: true,
    verified: true,
    passwordChangeRequired: false,
    insertInstant: T0 - 86_400 * SECOND,
    lastUpdateInstant: T0 - 86_400 * SECOND,
    passwordLastUpdateInstant: T0 - 86_400 * SECOND,
    password: { encryptionScheme: "salted-pbkdf2-hmac-sha256", factor: 1000, salt: "c2FsdA==", hash: "aGFzaA==" } as UserRecord["password"],
    twoFactorEnabled: false,
    twoFactorDelivery: "None",
    ...fields,
  };
}

/** An account with 2FA enabled by an authenticator app unless `user` says otherwise. */
function account(user: Partial<UserRecord> = {}, guard: Partial<Account["guard"]> = {}, version = 7): Account {
  return {
    version,
    user: userRecord({ twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: "sealed-secret", ...user }),
    guard: { ...newGuard(), generation: 1, ...guard },
  };
}

const noTwoFactor = (guard: Partial<Account["guard"]> = {}) =>
  account({ twoFactorEnabled: false, twoFactorDelivery: "None", twoFactorSecret: undefined }, { generation: 0, ...guard });

const details: ChallengeDetails = {
  applicationId: "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
  ipAddress: "192.0.2.7",
  metaData: '{"device":"x"}',
  noJWT: false,
  familiar: false,
};

/** An account with one pending login under `key`, opened at `at`. */
function withChallenge(base: Account = account(), key = "R1", at = T0): Account {
  return openChallenge(base, key, details, at, config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Runs `decide` on a deep-frozen copy of each input (a write to it throws in strict mode) and checks
 * afterwards that the inputs still equal copies taken before: the functions never modify their input.
 */
function pure<R>(inputs: unknown[], decide: () => R): R {
  const before = structuredClone(inputs);
  inputs.forEach(deepFreeze);
  const result = decide();
  expect(inputs).toEqual(before);
  return result;
}

/** Shorthands that always go through `pure`. */
const password = (a: Account, matches: boolean, trustHash: string | undefined, nowMs: number, cfg = config) =>
  pure([a], () => decidePassword(a, matches, { trustHash }, nowMs, cfg));
const complete = (a: Account, key: string, code: { code: string; step: number | null }, trustHash: string | undefined, nowMs: number, cfg = config) =>
  pure([a], () => completeChallenge(a, key, code, trustHash, nowMs, cfg));

/** A decision that changed the account: its next state, with the version moved on by one. */
function changed<O>(decision: Decision<O>, from: Account): Account {
  expect(decision.next).not.toBeNull();
  expect(decision.next!.version).toBe(from.version + 1);
  return decision.next!;
}

describe("the configuration", () => {
  it("defaults to FusionAuth's values", () => {
    expect(config.failedAuthentication).toEqual({ tooManyAttempts: 5, resetCountSeconds: 60, actionDurationSeconds: 180 });
    expect(config.twoFactorLockout).toEqual({ failuresPerLock: 5, baseSeconds: 180, maxSeconds: 86_400 });
    expect(config.twoFactorIdTtlSeconds).toBe(300);
    expect(config.twoFactorTrustIdTtlSeconds).toBe(DEFAULTS.twoFactorTrustIdTtlSeconds);
    expect(config.maxCodeAttemptsPerChallenge).toBe(5);
    expect(config.sms.maxPerChallenge).toBe(5);
    expect(config.sms.codeTtlSeconds).toBe(300);
  });
});

describe("decidePassword", () => {
  it("prevents login while a password lock or a code lock holds, changing nothing", () => {
    const byPassword = account({}, { password: { failures: [], lockedUntil: T0 + 10 * SECOND } });
    expect(password(byPassword, true, undefined, T0)).toEqual({
      next: null,
      outcome: { outcome: "prevented", prevention: { until: T0 + 10 * SECOND, reason: "password" } },
    });
    // A wrong password while locked is not counted either.
    expect(password(byPassword, false, undefined, T0)).toEqual({
      next: null,
      outcome: { outcome: "prevented", prevention: { until: T0 + 10 * SECOND, reason: "password" } },
    });

    const byCode = account({}, { codeLockedUntil: T0 + 60 * SECOND });
    expect(password(byCode, true, undefined, T0)).toEqual({
      next: null,
      outcome: { outcome: "prevented", prevention: { until: T0 + 60 * SECOND, reason: "two-factor" } },
    });

    // Both: the later lock is the one reported.
    const both = account({}, { codeLockedUntil: T0 + 60 * SECOND, password: { failures: [], lockedUntil: T0 + 90 * SECOND } });
    expect(password(both, true, undefined, T0).outcome).toEqual({ outcome: "prevented", prevention: { until: T0 + 90 * SECOND, reason: "password" } });

    // The moment the lock ends, login works again.
    expect(password(byPassword, true, undefined, T0 + 10 * SECOND).outcome).toEqual({ outcome: "authenticated", twoFactorRequired: true, familiar: false });
  });

  it("counts wrong passwords and locks at tooManyAttempts within resetCountSeconds, for actionDuration", () => {
    let current = noTwoFactor();
    for (let attempt = 1; attempt <= 4; attempt++) {
      const decision = password(current, false, undefined, T0 + attempt * SECOND);
      expect(decision.outcome).toEqual({ outcome: "wrong-password" });
      current = changed(decision, current);
      expect(current.guard.password.failures).toHaveLength(attempt);
      expect(current.guard.password.lockedUntil).toBe(0);
    }
    const fifth = password(current, false, undefined, T0 + 5 * SECOND);
    current = changed(fifth, current);
    expect(current.guard.password).toEqual({ failures: [], lockedUntil: T0 + 5 * SECOND + 180 * SECOND });
    // The right password is refused until the lock ends.
    expect(password(current, true, undefined, T0 + 6 * SECOND).outcome).toMatchObject({ outcome: "prevented", prevention: { reason: "password" } });
    expect(password(current, true, undefined, T0 + 185 * SECOND).outcome).toEqual({ outcome: "authenticated", twoFactorRequired: false, familiar: false });
  });

  it("forgets wrong passwords older than resetCountSeconds", () => {
    let current = noTwoFactor();
    for (let attempt = 0; attempt < 4; attempt++) current = changed(password(current, false, undefined, T0 + attempt * SECOND), current);
    // 60.5 s after the first: the first has left the 60 s window, so this is the 4th in the window, not the 5th.
    current = changed(password(current, false, undefined, T0 + 60_500), current);
    expect(current.guard.password.lockedUntil).toBe(0);
    expect(current.guard.password.failures).toEqual([T0 + 1 * SECOND, T0 + 2 * SECOND, T0 + 3 * SECOND, T0 + 60_500]);
    // Long after, one failure is all that is remembered.
    current = changed(password(current, false, undefined, T0 + 600 * SECOND), current);
    expect(current.guard.password.failures).toEqual([T0 + 600 * SECOND]);
  });

  it("honours a configured tooManyAttempts", () => {
    const strict = withConfig((copy) => {
      copy.failedAuthentication = { tooManyAttempts: 2, resetCountSeconds: 60, actionDurationSeconds: 30 };
    });
    let current = noTwoFactor();
    current = changed(password(current, false, undefined, T0, strict), current);
    current = changed(password(current, false, undefined, T0 + SECOND, strict), current);
    expect(current.guard.password.lockedUntil).toBe(T0 + 31 * SECOND);
  });

  it("answers expired for an expired user and inactive for a deactivated one, only with the right password", () => {
    const expired = noTwoFactor();
    const expiredUser = { ...expired, user: { ...expired.user, expiry: T0 } };
    expect(password(expiredUser, true, undefined, T0)).toEqual({ next: null, outcome: { outcome: "expired" } });
    // One millisecond before the expiry the user may still log in.
    expect(password(expiredUser, true, undefined, T0 - 1).outcome).toEqual({ outcome: "authenticated", twoFactorRequired: false, familiar: false });
    // A wrong password is a wrong password (and counted), whatever the account's state.
    expect(password(expiredUser, false, undefined, T0).outcome).toEqual({ outcome: "wrong-password" });

    const inactive = account({ active: false });
    expect(password(inactive, true, undefined, T0)).toEqual({ next: null, outcome: { outcome: "inactive" } });
    expect(changed(password(inactive, false, undefined, T0), inactive).guard.password.failures).toEqual([T0]);
  });

  it("skips 2FA for a trust id only while it is unexpired", () => {
    const trusted = account({}, { trust: { h1: device(T0 + 60 * SECOND) } });
    const decision = password(trusted, true, "h1", T0);
    expect(decision.outcome).toEqual({ outcome: "authenticated", twoFactorRequired: false, familiar: true });
    expect(changed(decision, trusted).guard.lastLoginInstant).toBe(T0);

    expect(password(trusted, true, "h1", T0 + 60 * SECOND).outcome).toEqual({ outcome: "authenticated", twoFactorRequired: true, familiar: false });
    expect(password(trusted, true, "another", T0).outcome).toEqual({ outcome: "authenticated", twoFactorRequired: true, familiar: false });
    expect(password(trusted, true, undefined, T0).outcome).toEqual({ outcome: "authenticated", twoFactorRequired: true, familiar: false });
    // A trust id is no password: the wrong password with it is still wrong.
    expect(password(trusted, false, "h1", T0).outcome).toEqual({ outcome: "wrong-password" });
  });

  it("clears earlier wrong passwords on success", () => {
    const failed = noTwoFactor({ password: { failures: [T0 - 5 * SECOND, T0 - 2 * SECOND], lockedUntil: 0 } });
    const next = changed(password(failed, true, undefined, T0), failed);
    expect(next.guard.password.failures).toEqual([]);
    expect(next.guard.lastLoginInstant).toBe(T0);

    // Also when the login goes on to 2FA: the failures are cleared, no login is recorded yet.
    const failed2fa = account({}, { password: { failures: [T0 - 5 * SECOND], lockedUntil: 0 } });
    const decision = password(failed2fa, true, undefined, T0);
    expect(decision.outcome).toEqual({ outcome: "authenticated", twoFactorRequired: true, familiar: false });
    const next2fa = changed(decision, failed2fa);
    expect(next2fa.guard.password.failures).toEqual([]);
    expect(next2fa.guard.lastLoginInstant).toBeUndefined();
  });

  it("returns next = null when nothing changes (a 2FA user's right password with no failures to clear)", () => {
    expect(password(account(), true, undefined, T0)).toEqual({ next: null, outcome: { outcome: "authenticated", twoFactorRequired: true, familiar: false } });
  });

  it("shares the record with the next state rather than copying it, so the object can tell it is unchanged", () => {
    const start = noTwoFactor();
    const next = changed(password(start, true, undefined, T0), start);
    expect(next.user).toBe(start.user);
    expect(next.guard).not.toBe(start.guard);
  });
});

describe("openChallenge", () => {
  it("opens a pending login for twoFactorIdTtlSeconds, pinned to the enrolment generation and the password", () => {
    const start = account({ passwordLastUpdateInstant: T0 - 1234 }, { generation: 4 });
    const next = pure([start], () => openChallenge(start, "R1", details, T0, config));
    expect(next.version).toBe(start.version + 1);
    expect(next.guard.challenges).toEqual({
      R1: { ...details, expiresAt: T0 + 300 * SECOND, generation: 4, passwordChangedAt: T0 - 1234, failedAttempts: 0, smsSends: 0 } satisfies Challenge,
    });
    const longer = withConfig((copy) => {
      copy.twoFactorIdTtlSeconds = 600;
    });
    expect(pure([start], () => openChallenge(start, "R2", details, T0, longer)).guard.challenges.R2!.expiresAt).toBe(T0 + 600 * SECOND);
  });

  it("drops expired pending logins and keeps live ones", () => {
    let current = withChallenge(account(), "old", T0);
    current = withChallenge(current, "newer", T0 + 100 * SECOND);
    const next = pure([current], () => openChallenge(current, "latest", details, T0 + 300 * SECOND, config));
    expect(Object.keys(next.guard.challenges).sort()).toEqual(["latest", "newer"]);
  });

  it("keeps at most 20 pending logins, dropping the oldest", () => {
    let current = account();
    for (let index = 0; index < 20; index++) current = withChallenge(current, `R${index}`, T0 + index * SECOND);
    expect(Object.keys(current.guard.challenges)).toHaveLength(20);
    const next = pure([current], () => openChallenge(current, "R20", details, T0 + 20 * SECOND, config));
    expect(Object.keys(next.guard.challenges)).toHaveLength(20);
    expect(next.guard.challenges.R0).toBeUndefined();
    expect(next.guard.challenges.R1).toBeDefined();
    expect(next.guard.challenges.R20).toBeDefined();
  });
});

describe("liveChallenge", () => {
  const open = withChallenge();

  it("finds a live pending login until it expires", () => {
    expect(pure([open], () => liveChallenge(open, "R1", T0 + 299 * SECOND))).toEqual(open.guard.challenges.R1);
    expect(pure([open], () => liveChallenge(open, "R1", T0 + 300 * SECOND))).toBeNull();
    expect(pure([open], () => liveChallenge(open, "R2", T0))).toBeNull();
    // Keys that name Object.prototype members are no pending login.
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) expect(liveChallenge(open, key, T0)).toBeNull();
  });

  it("is stale after an enrolment change, a password change, a deactivation or 2FA switched off", () => {
    const bumped = { ...open, guard: { ...open.guard, generation: open.guard.generation + 1 } };
    expect(pure([bumped], () => liveChallenge(bumped, "R1", T0))).toBeNull();
    const newPassword = { ...open, user: { ...open.user, passwordLastUpdateInstant: T0 + 1 } };
    expect(pure([newPassword], () => liveChallenge(newPassword, "R1", T0))).toBeNull();
    const deactivated = { ...open, user: { ...open.user, active: false } };
    expect(pure([deactivated], () => liveChallenge(deactivated, "R1", T0))).toBeNull();
    const off = { ...open, user: { ...open.user, twoFactorEnabled: false } };
    expect(pure([off], () => liveChallenge(off, "R1", T0))).toBeNull();
  });
});

describe("completeChallenge", () => {
  const code = (step: number | null, digits = "123456") => ({ code: digits, step });

  it("accepts a code newer than the last accepted step: the pending login ends, the login is recorded", () => {
    const start = withChallenge(account({}, { consecutiveCodeFailures: 3, lastAcceptedStep: STEP - 5 }));
    const decision = complete(start, "R1", code(STEP), undefined, T0 + 5 * SECOND);
    expect(decision.outcome).toEqual({ outcome: "accepted" });
    const next = changed(decision, start);
    expect(next.guard.challenges).toEqual({});
    expect(next.guard.lastLoginInstant).toBe(T0 + 5 * SECOND);
    expect(next.guard.lastAcceptedStep).toBe(STEP);
    expect(next.guard.consecutiveCodeFailures).toBe(0);
    expect(next.guard.trust).toEqual({});
  });

  it("adds a trust id for twoFactorTrustIdTtlSeconds when asked, dropping expired ones", () => {
    const start = withChallenge(account({}, { trust: { old: device(T0 - 1), live: device(T0 + 1000 * SECOND) } }));
    const next = changed(complete(start, "R1", code(STEP), "fresh", T0), start);
    expect(next.guard.trust).toEqual({
      live: device(T0 + 1000 * SECOND),
      fresh: { issuedAt: T0, lastUsedAt: T0, expiresAt: T0 + 2_592_000 * SECOND, applicationId: details.applicationId },
    });
  });

  it("keeps at most 20 trust ids, dropping the soonest to expire", () => {
    const trust = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`t${index}`, device(T0 + (index + 1) * 1000 * SECOND)]));
    const start = withChallenge(account({}, { trust }));
    const next = changed(complete(start, "R1", code(STEP), "fresh", T0), start);
    expect(Object.keys(next.guard.trust)).toHaveLength(20);
    expect(next.guard.trust.t0).toBeUndefined();
    expect(next.guard.trust.fresh).toBeDefined();
  });

  it("refuses a replay of the accepted step (RFC 6238 §5.2) without counting it or changing anything", () => {
    let current = withChallenge(account(), "R1");
    current = changed(complete(current, "R1", code(STEP), undefined, T0), current);
    current = withChallenge(current, "R2", T0 + SECOND);
    for (const step of [STEP, STEP - 1]) {
      // It was right, though: the answer says when the authenticator shows the next, acceptable code.
      expect(complete(current, "R2", code(step), undefined, T0 + 2 * SECOND)).toEqual({
        next: null,
        outcome: { outcome: "invalid-code", counted: false, nextCodeAt: stepStart(STEP + 1) },
      });
    }
    // The next step is still good.
    expect(complete(current, "R2", code(STEP + 1), undefined, T0 + 2 * SECOND).outcome).toEqual({ outcome: "accepted" });
  });

  it("counts a wrong code on the account and the pending login", () => {
    const start = withChallenge();
    const decision = complete(start, "R1", code(null, "000001"), undefined, T0);
    expect(decision.outcome).toEqual({ outcome: "invalid-code", counted: true });
    const next = changed(decision, start);
    expect(next.guard.consecutiveCodeFailures).toBe(1);
    expect(next.guard.challenges.R1!.failedAttempts).toBe(1);
    expect(next.guard.lastWrongCode).toEqual({ code: "000001", at: T0 });
    expect(next.guard.codeLockedUntil).toBe(0);
  });

  it("ends the pending login after maxCodeAttemptsPerChallenge wrong codes", () => {
    // A lockout far away, so only the per-login limit acts.
    const lenient = withConfig((copy) => {
      copy.twoFactorLockout.failuresPerLock = 100;
    });
    let current = withChallenge();
    for (let attempt = 1; attempt <= 4; attempt++) {
      current = changed(complete(current, "R1", code(null, `00000${attempt}`), undefined, T0 + attempt * SECOND, lenient), current);
      expect(current.guard.challenges.R1!.failedAttempts).toBe(attempt);
    }
    current = changed(complete(current, "R1", code(null, "000005"), undefined, T0 + 5 * SECOND, lenient), current);
    expect(current.guard.challenges.R1).toBeUndefined();
    expect(current.guard.consecutiveCodeFailures).toBe(5);
    expect(complete(current, "R1", code(STEP), undefined, T0 + 6 * SECOND, lenient)).toEqual({ next: null, outcome: { outcome: "not-found" } });
  });

  it("counts the same wrong code resent within 10 s once (a client retrying the 421), and again after", () => {
    let current = changed(complete(withChallenge(), "R1", code(null, "424242"), undefined, T0), withChallenge());
    expect(complete(current, "R1", code(null, "424242"), undefined, T0 + 9_999)).toEqual({ next: null, outcome: { outcome: "invalid-code", counted: false } });
    // A different wrong code at once is another guess.
    const other = complete(current, "R1", code(null, "434343"), undefined, T0 + 1000);
    expect(other.outcome).toEqual({ outcome: "invalid-code", counted: true });
    // The same code 10 s later is another guess too.
    const later = complete(current, "R1", code(null, "424242"), undefined, T0 + 10_000);
    expect(later.outcome).toEqual({ outcome: "invalid-code", counted: true });
    current = changed(later, current);
    expect(current.guard.consecutiveCodeFailures).toBe(2);
    expect(current.guard.challenges.R1!.failedAttempts).toBe(2);
  });

  /** `count` wrong codes, each on a fresh pending login, 11 s apart; returns the state and the time. */
  function wrongCodes(start: Account, count: number, at: number): { account: Account; at: number } {
    let current = start;
    let now = at;
    for (let index = 0; index < count; index++) {
      current = withChallenge(current, `W${index}-${now}`, now);
      current = changed(complete(current, `W${index}-${now}`, code(null, String(100_000 + index)), undefined, now), current);
      now += 11 * SECOND;
    }
    return { account: current, at: now - 11 * SECOND };
  }

  it("locks login after failuresPerLock wrong codes in a row across pending logins, 180 s then 360 s (RFC 4226 §7.3)", () => {
    const first = wrongCodes(account(), 5, T0);
    expect(first.account.guard.consecutiveCodeFailures).toBe(5);
    expect(first.account.guard.codeLockedUntil).toBe(first.at + 180 * SECOND);

    // While locked even the right code is refused, uncounted.
    const locked = withChallenge(first.account, "L", first.at + SECOND);
    expect(complete(locked, "L", code(STEP + 10), undefined, first.at + 2 * SECOND)).toEqual({
      next: null,
      outcome: { outcome: "prevented", prevention: { until: first.at + 180 * SECOND, reason: "two-factor" } },
    });

    // After the lock, five more wrong codes lock for twice as long.
    const second = wrongCodes(first.account, 5, first.at + 181 * SECOND);
    expect(second.account.guard.consecutiveCodeFailures).toBe(10);
    expect(second.account.guard.codeLockedUntil).toBe(second.at + 360 * SECOND);
    // Four wrong codes in between do not lock.
    const between = wrongCodes(first.account, 4, first.at + 181 * SECOND);
    expect(between.account.guard.codeLockedUntil).toBe(first.at + 180 * SECOND);
  });

  it("caps the lock at 24 hours", () => {
    // The 9th lock is 180 s × 2^8 = 46,080 s; the 10th would be 92,160 s and is capped at 86,400 s.
    const ninth = wrongCodes(account({}, { consecutiveCodeFailures: 44 }), 1, T0);
    expect(ninth.account.guard.codeLockedUntil).toBe(T0 + 46_080 * SECOND);
    const tenth = wrongCodes(account({}, { consecutiveCodeFailures: 49 }), 1, T0);
    expect(tenth.account.guard.codeLockedUntil).toBe(T0 + 86_400 * SECOND);
    const much = wrongCodes(account({}, { consecutiveCodeFailures: 5 * 60 - 1 }), 1, T0);
    expect(much.account.guard.codeLockedUntil).toBe(T0 + 86_400 * SECOND);
  });

  it("resets the run of wrong codes on an accepted code", () => {
    const failing = wrongCodes(account(), 4, T0);
    const open = withChallenge(failing.account, "ok", failing.at + SECOND);
    const accepted = changed(complete(open, "ok", code(STEP + 2), undefined, failing.at + 2 * SECOND), open);
    expect(accepted.guard.consecutiveCodeFailures).toBe(0);
    expect(wrongCodes(accepted, 4, failing.at + 3 * SECOND).account.guard.codeLockedUntil).toBe(0);
  });

  it("is prevented while the password lock holds", () => {
    const start = withChallenge(account({}, { password: { failures: [], lockedUntil: T0 + 50 * SECOND } }));
    expect(complete(start, "R1", code(STEP), undefined, T0)).toEqual({
      next: null,
      outcome: { outcome: "prevented", prevention: { until: T0 + 50 * SECOND, reason: "password" } },
    });
  });

  it("answers expired for a user who expired since the password step, and removes the pending login", () => {
    const open = withChallenge();
    const expiredUser = { ...open, user: { ...open.user, expiry: T0 + 10 * SECOND } };
    const decision = complete(expiredUser, "R1", code(STEP), undefined, T0 + 20 * SECOND);
    expect(decision.outcome).toEqual({ outcome: "expired" });
    const next = changed(decision, expiredUser);
    expect(next.guard.challenges).toEqual({});
    expect(next.guard.lastAcceptedStep).toBe(-1); // the code was not used up
    expect(next.guard.lastLoginInstant).toBeUndefined();
  });

  it("answers not-found for a missing or stale pending login, pruning stale ones", () => {
    const open = withChallenge();
    expect(complete(open, "other", code(STEP), undefined, T0)).toEqual({ next: null, outcome: { outcome: "not-found" } });
    const expired = complete(open, "R1", code(STEP), undefined, T0 + 301 * SECOND);
    expect(expired.outcome).toEqual({ outcome: "not-found" });
    expect(changed(expired, open).guard.challenges).toEqual({});
  });
});

describe("textStep and the SMS window", () => {
  it("never texts a consumed step: max(now, last accepted + 1)", () => {
    const fresh = account();
    expect(pure([fresh], () => textStep(fresh, T0, config)).step).toBe(STEP);
    const used = account({}, { lastAcceptedStep: STEP });
    expect(pure([used], () => textStep(used, T0, config)).step).toBe(STEP + 1);
    const old = account({}, { lastAcceptedStep: STEP - 3 });
    expect(pure([old], () => textStep(old, T0, config)).step).toBe(STEP);
  });

  it("keeps the texted step acceptable until codeTtlSeconds, even after the step has passed", () => {
    const start = account();
    const { next, step } = pure([start], () => textStep(start, T0, config));
    expect(next.version).toBe(start.version + 1);
    expect(next.guard.smsCodes).toEqual([{ step, expiresAt: T0 + 300 * SECOND }]);
    // 200 s later the step is far outside ±1, but the SMS window keeps it.
    expect(acceptableSteps(T0 + 200 * SECOND, [])).not.toContain(step);
    expect(acceptableSteps(T0 + 200 * SECOND, next.guard.smsCodes)).toContain(step);
    expect(acceptableSteps(T0 + 300 * SECOND, next.guard.smsCodes)).not.toContain(step);
    // The ±1 window comes first, each step once.
    const now = timeStep(T0 + 200 * SECOND);
    expect(acceptableSteps(T0 + 200 * SECOND, next.guard.smsCodes)).toEqual([now, now - 1, now + 1, step]);
    expect(acceptableSteps(T0, next.guard.smsCodes)).toEqual([STEP, STEP - 1, STEP + 1]);
  });

  it("drops expired texted codes and keeps one entry per step", () => {
    const start = account(
      {},
      {
        smsCodes: [
          { step: STEP - 20, expiresAt: T0 - 1 },
          { step: STEP, expiresAt: T0 + 5 * SECOND },
        ],
      },
    );
    const { next } = pure([start], () => textStep(start, T0 + SECOND, config));
    expect(next.guard.smsCodes).toEqual([{ step: STEP, expiresAt: T0 + 301 * SECOND }]);
  });

  it("lets an accepted code withdraw the texted steps it supersedes", () => {
    const texted = textStep(withChallenge(), T0, config).next;
    const next = changed(complete(texted, "R1", { code: "123456", step: STEP }, undefined, T0 + SECOND), texted);
    expect(next.guard.smsCodes).toEqual([]);
  });
});

describe("reserveChallengeSend and releaseSend", () => {
  it("allows maxPerChallenge texts per pending login, then answers limited until the login expires", () => {
    let current = withChallenge();
    for (let send = 1; send <= 5; send++) {
      const decision = pure([current], () => reserveChallengeSend(current, "R1", T0 + send * SECOND, config));
      expect(decision.outcome).toEqual({ outcome: "allowed" });
      current = changed(decision, current);
      expect(current.guard.challenges.R1!.smsSends).toBe(send);
    }
    // 300 s lifetime, 6.5 s gone: 293.5 s left, rounded up.
    expect(pure([current], () => reserveChallengeSend(current, "R1", T0 + 6_500, config))).toEqual({
      next: null,
      outcome: { outcome: "limited", retryAfterSeconds: 294 },
    });
    expect(reserveChallengeSend(current, "missing", T0, config)).toEqual({ next: null, outcome: { outcome: "not-found" } });
    expect(reserveChallengeSend(current, "R1", T0 + 300 * SECOND, config)).toEqual({ next: null, outcome: { outcome: "not-found" } });
  });

  it("gives a send back, withdrawing the code only when asked", () => {
    const reserved = changed(reserveChallengeSend(withChallenge(), "R1", T0, config), withChallenge());
    const texted = textStep(reserved, T0, config);
    const kept = pure([texted.next], () => releaseSend(texted.next, "R1", texted.step, false));
    expect(kept.version).toBe(texted.next.version + 1);
    expect(kept.guard.challenges.R1!.smsSends).toBe(0);
    expect(kept.guard.smsCodes).toEqual(texted.next.guard.smsCodes);

    const withdrawn = pure([texted.next], () => releaseSend(texted.next, "R1", texted.step, true));
    expect(withdrawn.guard.challenges.R1!.smsSends).toBe(0);
    expect(withdrawn.guard.smsCodes).toEqual([]);

    // Never below zero; without a pending login (a text to the user) only the code is withdrawn.
    const again = releaseSend(withdrawn, "R1", texted.step, false);
    expect(again.guard.challenges.R1!.smsSends).toBe(0);
    const other = textStep(account(), T0, config);
    expect(pure([other.next], () => releaseSend(other.next, undefined, other.step, true)).guard.smsCodes).toEqual([]);
    expect(pure([other.next], () => releaseSend(other.next, undefined, other.step + 1, true)).guard.smsCodes).toEqual(other.next.guard.smsCodes);
  });
});

describe("enableTwoFactor", () => {
  const enrolment = { delivery: "None" as const, secret: "new-sealed-secret" };
  const enable = (a: Account, step: number | null, nowMs = T0, delivery: "None" | "TextMessage" = "None") =>
    pure([a], () => enableTwoFactor(a, { code: "654321", step }, { ...enrolment, delivery }, nowMs, config));

  it("refuses when 2FA is already enabled", () => {
    expect(enable(account(), STEP)).toEqual({ next: null, outcome: { outcome: "already-enabled" } });
  });

  it("needs a mobile phone for TextMessage delivery", () => {
    expect(enable(noTwoFactor(), STEP, T0, "TextMessage")).toEqual({ next: null, outcome: { outcome: "needs-phone" } });
    const withPhone = { ...noTwoFactor(), user: { ...noTwoFactor().user, mobilePhone: "+15555550100" } };
    const next = changed(enable(withPhone, STEP, T0, "TextMessage"), withPhone);
    expect(next.user.twoFactorDelivery).toBe("TextMessage");
  });

  it("never counts wrong enrolment codes toward the lockout, nor honours it", () => {
    let current = noTwoFactor();
    for (let attempt = 0; attempt < 12; attempt++) {
      expect(enable(current, null, T0 + attempt * 11 * SECOND)).toEqual({ next: null, outcome: { outcome: "invalid-code", counted: false } });
    }
    // A replayed step proves the secret but is still refused.
    current = noTwoFactor({ lastAcceptedStep: STEP });
    expect(enable(current, STEP)).toEqual({ next: null, outcome: { outcome: "invalid-code", counted: false, nextCodeAt: stepStart(STEP + 1) } });
    // A user whose login is locked by wrong codes can still enrol a new authenticator.
    const locked = noTwoFactor({ codeLockedUntil: T0 + 100 * SECOND, consecutiveCodeFailures: 5 });
    expect(enable(locked, STEP).outcome).toEqual({ outcome: "accepted" });
  });

  it("enables: the code is used up, the generation moves on and pending logins are dropped", () => {
    const start = noTwoFactor({
      generation: 2,
      challenges: { old: { ...details, expiresAt: T0 + 100 * SECOND, generation: 2, passwordChangedAt: 0, failedAttempts: 0, smsSends: 0 } },
    });
    const decision = enable(start, STEP, T0 + SECOND);
    expect(decision.outcome).toEqual({ outcome: "accepted" });
    const next = changed(decision, start);
    expect(next.user).toMatchObject({
      twoFactorEnabled: true,
      twoFactorDelivery: "None",
      twoFactorSecret: "new-sealed-secret",
      lastUpdateInstant: T0 + SECOND,
    });
    expect(next.guard.generation).toBe(3);
    expect(next.guard.challenges).toEqual({});
    expect(next.guard.lastAcceptedStep).toBe(STEP);
    expect(next.user).not.toBe(start.user);
  });
});

describe("disableTwoFactor", () => {
  const disable = (a: Account, step: number | null, nowMs = T0, digits = "654321") =>
    pure([a], () => disableTwoFactor(a, { code: digits, step }, nowMs, config));

  it("refuses when 2FA is not enabled", () => {
    expect(disable(noTwoFactor(), STEP)).toEqual({ next: null, outcome: { outcome: "not-enabled" } });
  });

  it("disables: trust ids, pending logins and texted codes are all revoked", () => {
    const start = textStep(withChallenge(account({}, { trust: { h: device(T0 + 1000 * SECOND) }, generation: 5 })), T0, config).next;
    const decision = disable(start, STEP + 1, T0 + SECOND);
    expect(decision.outcome).toEqual({ outcome: "accepted" });
    const next = changed(decision, start);
    expect(next.user).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None", lastUpdateInstant: T0 + SECOND });
    expect(next.user.twoFactorSecret).toBeUndefined();
    // (toEqual, not toMatchObject: `{}` would match any object.)
    expect({ generation: next.guard.generation, trust: next.guard.trust, challenges: next.guard.challenges, smsCodes: next.guard.smsCodes }).toEqual({
      generation: 6,
      trust: {},
      challenges: {},
      smsCodes: [],
    });
    expect(next.guard.lastAcceptedStep).toBe(STEP + 1);
  });

  it("counts a wrong code toward the lockout and is prevented while locked", () => {
    const start = account();
    const wrong = disable(start, null);
    expect(wrong.outcome).toEqual({ outcome: "invalid-code", counted: true });
    expect(changed(wrong, start).guard.consecutiveCodeFailures).toBe(1);
    // A replay is refused, uncounted.
    expect(disable(account({}, { lastAcceptedStep: STEP }), STEP)).toEqual({
      next: null,
      outcome: { outcome: "invalid-code", counted: false, nextCodeAt: stepStart(STEP + 1) },
    });
    const locked = account({}, { codeLockedUntil: T0 + SECOND });
    expect(disable(locked, STEP)).toEqual({ next: null, outcome: { outcome: "prevented", prevention: { until: T0 + SECOND, reason: "two-factor" } } });
  });
});

describe("replaceUser", () => {
  const replace = (a: Account, user: UserRecord, nowMs = T0) => pure([a, user], () => replaceUser(a, user, nowMs));
  const busy = () => withChallenge(account({}, { trust: { h: device(T0 + 1000 * SECOND) }, generation: 3 }));

  it("keeps pending logins and trust ids over a profile change", () => {
    const start = busy();
    const next = replace(start, { ...start.user, firstName: "Ada" });
    expect(next.version).toBe(start.version + 1);
    expect(next.user.firstName).toBe("Ada");
    expect(next.guard.generation).toBe(3);
    expect(Object.keys(next.guard.challenges)).toEqual(["R1"]);
    expect(next.guard.trust).toEqual({ h: device(T0 + 1000 * SECOND) });
    expect(liveChallenge(next, "R1", T0)).not.toBeNull();
  });

  it("ends pending logins and trust ids on a password change", () => {
    const start = busy();
    const next = replace(start, { ...start.user, passwordLastUpdateInstant: T0 });
    expect(next.guard.challenges).toEqual({});
    expect(next.guard.trust).toEqual({});
    expect(next.guard.generation).toBe(3);
  });

  it("ends pending logins and trust ids on a deactivation, not on a reactivation", () => {
    const start = busy();
    const off = replace(start, { ...start.user, active: false });
    expect(off.guard.challenges).toEqual({});
    expect(off.guard.trust).toEqual({});

    const inactive = { ...start, user: { ...start.user, active: false } };
    const on = replace(inactive, { ...start.user, active: true });
    expect(on.guard.trust).toEqual({ h: device(T0 + 1000 * SECOND) });
  });

  it("moves the generation on and drops pending logins when the enrolment changes", () => {
    const start = busy();
    const rekeyed = replace(start, { ...start.user, twoFactorSecret: "another-sealed-secret" });
    expect(rekeyed.guard.generation).toBe(4);
    expect(rekeyed.guard.challenges).toEqual({});
    expect(rekeyed.user.twoFactorSecret).toBe("another-sealed-secret");

    const off = replace(start, { ...start.user, twoFactorEnabled: false, twoFactorSecret: undefined, twoFactorDelivery: "None" });
    expect(off.guard.generation).toBe(4);
    expect({ challenges: off.guard.challenges, trust: off.guard.trust, smsCodes: off.guard.smsCodes }).toEqual({ challenges: {}, trust: {}, smsCodes: [] });
    expect(off.user.twoFactorEnabled).toBe(false);

    const never = noTwoFactor();
    const on = replace(never, { ...never.user, twoFactorEnabled: true, twoFactorSecret: "s" });
    expect(on.guard.generation).toBe(1);
    expect(on.user.twoFactorEnabled).toBe(true);
  });

  it("stores the record it was given", () => {
    const start = busy();
    const user = { ...start.user, lastName: "Lovelace" };
    expect(replace(start, user).user).toEqual(user);
  });
});

describe("smart lockout: familiar and unfamiliar sources are counted apart", () => {
  const home = "198.51.100.0/24";
  const fromHome = { network: home };
  const stranger = { network: "203.0.113.0/24" };
  const knownAtHome = (guard: Partial<Account["guard"]> = {}) => noTwoFactor({ networks: { [home]: T0 - 86_400_000 }, ...guard });
  const decide = (a: Account, matches: boolean, source: Source, nowMs: number) => pure([a], () => decidePassword(a, matches, source, nowMs, config));

  it("locks only unfamiliar sources when a stranger fails: the owner's network still logs in", () => {
    let state = knownAtHome();
    for (let i = 0; i < 5; i++) state = changed(decide(state, false, stranger, T0 + i * SECOND), state);
    expect(decide(state, true, stranger, T0 + 6 * SECOND).outcome.outcome).toBe("prevented");
    expect(decide(state, true, {}, T0 + 6 * SECOND).outcome.outcome).toBe("prevented");
    expect(decide(state, true, fromHome, T0 + 6 * SECOND).outcome).toEqual({ outcome: "authenticated", twoFactorRequired: false, familiar: true });
  });

  it("treats a valid trust id as familiar wherever it comes from, and forgets networks after the memory", () => {
    const state = knownAtHome({ trust: { h1: device(T0 + 60 * SECOND) }, password: { failures: [], lockedUntil: T0 + 100 * SECOND } });
    expect(isFamiliar(state.guard, { trustHash: "h1", network: "203.0.113.0/24" }, T0, config)).toBe(true);
    expect(isFamiliar(state.guard, fromHome, T0, config)).toBe(true);
    expect(isFamiliar(state.guard, fromHome, T0 + config.smartLockout.networkMemorySeconds * 1000, config)).toBe(false);
    expect(isFamiliar(state.guard, {}, T0, config)).toBe(false);
    expect(decide(state, true, { trustHash: "h1" }, T0).outcome.outcome).toBe("authenticated");
  });

  it("locks familiar sources with their own failures", () => {
    let state = knownAtHome();
    for (let i = 0; i < 5; i++) state = changed(decide(state, false, fromHome, T0 + i * SECOND), state);
    expect(decide(state, true, fromHome, T0 + 6 * SECOND).outcome.outcome).toBe("prevented");
    expect(decide(state, true, stranger, T0 + 6 * SECOND).outcome.outcome).toBe("authenticated");
  });

  it("remembers the network of a successful login, and keeps the ten most recent", () => {
    let state = noTwoFactor();
    for (let i = 0; i < 12; i++) state = changed(decide(state, true, { network: `10.0.${i}.0/24` }, T0 + i * SECOND), state);
    expect(Object.keys(state.guard.networks)).toHaveLength(10);
    expect(state.guard.networks["10.0.11.0/24"]).toBe(T0 + 11 * SECOND);
    expect(state.guard.networks["10.0.0.0/24"]).toBeUndefined();
  });

  it("counts wrong codes of a pending login by the kind of source its password step came from", () => {
    const base = account({}, { networks: { [home]: T0 - SECOND } });
    const strangers = openChallenge(base, "S", { ...details, familiar: false }, T0, config);
    let state = openChallenge(strangers, "F", { ...details, familiar: true, network: home }, T0, config);
    for (let i = 0; i < 5; i++) state = changed(complete(state, "S", { code: `00000${i}`, step: null }, undefined, T0 + i * 11 * SECOND), state);
    expect(state.guard.codeLockedUntil).toBeGreaterThan(T0);
    expect(state.guard.familiar.codeLockedUntil).toBe(0);
    expect(complete(state, "F", { code: "123456", step: timeStep(T0) }, undefined, T0 + 60 * SECOND).outcome).toEqual({ outcome: "accepted" });
  });

  it("lifts every lock on unlock", () => {
    const locked = knownAtHome({ codeLockedUntil: T0 + 1e6, consecutiveCodeFailures: 5, password: { failures: [T0], lockedUntil: T0 + 1e6 } });
    locked.guard.familiar = { password: { failures: [], lockedUntil: T0 + 1e6 }, consecutiveCodeFailures: 5, codeLockedUntil: T0 + 1e6 };
    const next = pure([locked], () => unlock(locked));
    expect(decide(next, true, {}, T0).outcome.outcome).toBe("authenticated");
    expect(decide(next, true, fromHome, T0).outcome.outcome).toBe("authenticated");
    expect(next.guard.networks).toEqual(locked.guard.networks);
  });
});
