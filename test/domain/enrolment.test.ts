// The 2FA enrolment (src/domain/enrolment.ts): enable, disable, recovery codes, and the User API's
// record replacement, which keeps the guard consistent with the record and ends access tokens (the
// token stamp) when access changes.
import { describe, expect, it } from "vitest";
import type { Account } from "../../src/domain/account";
import { liveChallenge } from "../../src/domain/challenges";
import { textStep } from "../../src/domain/codes";
import { disableTwoFactor, enableTwoFactor, replaceRecoveryCodes, replaceUser } from "../../src/domain/enrolment";
import { stepStart } from "../../src/domain/totp";
import { legacyDelivery } from "../../src/domain/methods";
import { twoFactorEnabled, type UserRecord } from "../../src/domain/user";
import { account, changed, config, details, device, noTwoFactor, pure, SECOND, STEP, T0, withChallenge } from "./accounts";

describe("enableTwoFactor", () => {
  const enrolment = { delivery: "None" as const, secret: "new-sealed-secret" };
  const enable = (a: Account, step: number | null, nowMs = T0, delivery: "None" | "TextMessage" = "None") =>
    pure([a], () => enableTwoFactor(a, { code: "654321", step }, { ...enrolment, delivery }, nowMs, config, () => "NEW1"));

  it("refuses when 2FA is already enabled", () => {
    expect(enable(account(), STEP)).toEqual({ next: null, outcome: { outcome: "already-enabled" } });
  });

  it("keeps the token stamp: enrolling strengthens access", () => {
    const start = noTwoFactor();
    expect(changed(enable(start, STEP), start).guard.tokenStamp).toBe(start.guard.tokenStamp);
  });

  it("needs a mobile phone for TextMessage delivery", () => {
    expect(enable(noTwoFactor(), STEP, T0, "TextMessage")).toEqual({ next: null, outcome: { outcome: "needs-phone" } });
    const withPhone = { ...noTwoFactor(), user: { ...noTwoFactor().user, mobilePhone: "+15555550100" } };
    const next = changed(enable(withPhone, STEP, T0, "TextMessage"), withPhone);
    expect(legacyDelivery(next.user.twoFactor.methods)).toBe("TextMessage");
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
      twoFactor: { methods: [{ id: "NEW1", method: "authenticator", secret: "new-sealed-secret" }] },
      lastUpdateInstant: T0 + SECOND,
    });
    expect(next.guard.generation).toBe(3);
    expect(next.guard.challenges).toEqual({});
    expect(next.guard.lastAcceptedStep).toBe(STEP);
    expect(next.user).not.toBe(start.user);
  });
});

describe("disableTwoFactor", () => {
  const disable = (a: Account, step: number | null, nowMs = T0, digits = "654321", newTokenStamp?: () => string) =>
    pure([a], () => disableTwoFactor(a, { code: digits, step }, nowMs, config, newTokenStamp));

  it("ends access tokens (a new stamp) for an admin's disable, not for the user's own", () => {
    const start = account();
    expect(
      changed(
        disable(start, STEP, T0, "654321", () => "stamp-2"),
        start,
      ).guard.tokenStamp,
    ).toBe("stamp-2");
    expect(changed(disable(start, STEP), start).guard.tokenStamp).toBe(start.guard.tokenStamp);
    // A refused code changes no stamp.
    expect(disable(start, null, T0, "654321", () => "stamp-2").next?.guard.tokenStamp).toBe(start.guard.tokenStamp);
  });

  it("refuses when 2FA is not enabled", () => {
    expect(disable(noTwoFactor(), STEP)).toEqual({ next: null, outcome: { outcome: "not-enabled" } });
  });

  it("disables: trust ids, pending logins and texted codes are all revoked", () => {
    const start = textStep(withChallenge(account({}, { trust: { h: device(T0 + 1000 * SECOND) }, generation: 5 })), T0, config).next;
    const decision = disable(start, STEP + 1, T0 + SECOND);
    expect(decision.outcome).toEqual({ outcome: "accepted" });
    const next = changed(decision, start);
    expect(next.user).toMatchObject({ twoFactor: { methods: [] }, lastUpdateInstant: T0 + SECOND });
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
  const replace = (a: Account, user: UserRecord, nowMs = T0) => pure([a, user], () => replaceUser(a, user, nowMs, () => "stamp-2"));
  const busy = () => withChallenge(account({}, { trust: { h: device(T0 + 1000 * SECOND) }, generation: 3 }));

  it("ends access tokens on a password change, a deactivation and 2FA off, not on a profile change, an enrolment or a reactivation", () => {
    const start = account();
    const stampAfter = (user: UserRecord, from = start) => replace(from, user).guard.tokenStamp;
    // A new password is a new hash, also in the millisecond of the last change.
    expect(stampAfter({ ...start.user, password: { ...start.user.password, hash: "another-hash" } })).toBe("stamp-2");
    expect(stampAfter({ ...start.user, active: false })).toBe("stamp-2");
    expect(stampAfter({ ...start.user, twoFactor: { methods: [] } })).toBe("stamp-2");
    expect(stampAfter({ ...start.user, firstName: "Ada" })).toBe("stamp-1");
    const never = noTwoFactor();
    expect(stampAfter({ ...never.user, twoFactor: { methods: [{ id: "NEW1", method: "authenticator" as const, secret: "s" }] } }, never)).toBe("stamp-1");
    const inactive = { ...start, user: { ...start.user, active: false } };
    expect(stampAfter({ ...start.user, active: true }, inactive)).toBe("stamp-1");
  });

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
    const next = replace(start, { ...start.user, password: { ...start.user.password, hash: "another-hash" }, passwordLastUpdateInstant: T0 });
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
    const rekeyed = replace(start, { ...start.user, twoFactor: { methods: [{ id: "AUTH", method: "authenticator", secret: "another-sealed-secret" }] } });
    expect(rekeyed.guard.generation).toBe(4);
    expect(rekeyed.guard.challenges).toEqual({});
    expect(rekeyed.user.twoFactor.methods).toEqual([{ id: "AUTH", method: "authenticator", secret: "another-sealed-secret" }]);

    const off = replace(start, { ...start.user, twoFactor: { methods: [] } });
    expect(off.guard.generation).toBe(4);
    expect({ challenges: off.guard.challenges, trust: off.guard.trust, smsCodes: off.guard.smsCodes }).toEqual({ challenges: {}, trust: {}, smsCodes: [] });
    expect(twoFactorEnabled(off.user)).toBe(false);

    const never = noTwoFactor();
    const on = replace(never, { ...never.user, twoFactor: { methods: [{ id: "NEW1", method: "authenticator" as const, secret: "s" }] } });
    expect(on.guard.generation).toBe(1);
    expect(twoFactorEnabled(on.user)).toBe(true);
  });

  it("stores the record it was given", () => {
    const start = busy();
    const user = { ...start.user, lastName: "Lovelace" };
    expect(replace(start, user).user).toEqual(user);
  });
});

describe("replaceRecoveryCodes", () => {
  const replaceCodes = (a: Account, proof: { code: string; step: number | null; recoveryHashes?: string[] } | null, nowMs = T0) =>
    pure([a], () => replaceRecoveryCodes(a, ["new-1", "new-2"], proof, nowMs, config));

  it("refuses when 2FA is not enabled", () => {
    expect(replaceCodes(noTwoFactor(), null)).toEqual({ next: null, outcome: { outcome: "not-enabled" } });
  });

  it("replaces the set without a proof (an API key), or once a proof is accepted, which it uses up", () => {
    const start = account({}, { recoveryCodes: ["old-1", "old-2"] });
    expect(changed(replaceCodes(start, null), start).guard.recoveryCodes).toEqual(["new-1", "new-2"]);
    const byCode = changed(replaceCodes(start, { code: "654321", step: STEP }), start);
    expect({ codes: byCode.guard.recoveryCodes, step: byCode.guard.lastAcceptedStep }).toEqual({ codes: ["new-1", "new-2"], step: STEP });
    expect(changed(replaceCodes(start, { code: "OLD01-OLD01", step: null, recoveryHashes: ["old-2"] }), start).guard.recoveryCodes).toEqual(["new-1", "new-2"]);
  });

  it("counts a wrong proof toward the lockout, refuses a replayed one uncounted, and is prevented while locked", () => {
    const start = account({}, { recoveryCodes: ["old-1"] });
    const wrong = replaceCodes(start, { code: "000000", step: null });
    expect(wrong.outcome).toEqual({ outcome: "invalid-code", counted: true });
    expect(changed(wrong, start).guard).toMatchObject({ consecutiveCodeFailures: 1, recoveryCodes: ["old-1"] });
    expect(replaceCodes(account({}, { lastAcceptedStep: STEP }), { code: "654321", step: STEP })).toEqual({
      next: null,
      outcome: { outcome: "invalid-code", counted: false, nextCodeAt: stepStart(STEP + 1) },
    });
    expect(replaceCodes(account({}, { codeLockedUntil: T0 + SECOND }), { code: "654321", step: STEP }).outcome).toEqual({
      outcome: "prevented",
      prevention: { until: T0 + SECOND, reason: "two-factor" },
    });
  });
});
