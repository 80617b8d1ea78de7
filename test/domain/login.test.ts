// The two steps of a login (src/domain/login.ts) as pure functions: no object, no HTTP, no clock.
//
// Sources for the rules checked here:
// - RFC 6238 §5.2 (a TOTP code is valid once; ±1 step of clock drift) and RFC 4226 §7.3 (throttle
//   wrong codes, here by locking login for a doubling time after every `failuresPerLock` of them).
// - FusionAuth's failedAuthenticationConfiguration (tooManyAttempts within resetCountSeconds lock
//   login for actionDuration) and its Login API (242 + twoFactorId, 421 for a wrong code, trust ids),
//   https://fusionauth.io/docs/v1/tech/apis/login and https://fusionauth.io/docs/v1/tech/apis/tenants.
import { describe, expect, it } from "vitest";
import type { Account } from "../../src/domain/account";
import { decidePassword } from "../../src/domain/login";
import { stepStart } from "../../src/domain/totp";
import { account, changed, complete, config, details, device, noTwoFactor, pure, SECOND, STEP, T0, withChallenge, withConfig } from "./accounts";

const password = (a: Account, matches: boolean, trustHash: string | undefined, nowMs: number, cfg = config) =>
  pure([a], () => decidePassword(a, matches, { trustHash }, nowMs, cfg));

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
