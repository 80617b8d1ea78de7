// Pending two-factor logins (src/domain/challenges.ts): opening, liveness, and their texts.
import { describe, expect, it } from "vitest";
import type { Challenge } from "../../src/domain/account";
import { liveChallenge, openChallenge, releaseSend, reserveChallengeSend } from "../../src/domain/challenges";
import { textStep } from "../../src/domain/codes";
import { account, changed, config, details, pure, SECOND, T0, withChallenge, withConfig } from "./accounts";

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
    const off = { ...open, user: { ...open.user, twoFactor: { methods: [] } } };
    expect(pure([off], () => liveChallenge(off, "R1", T0))).toBeNull();
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
    const kept = pure([texted.next], () => releaseSend(texted.next, "R1", { step: texted.step }, false));
    expect(kept.version).toBe(texted.next.version + 1);
    expect(kept.guard.challenges.R1!.smsSends).toBe(0);
    expect(kept.guard.smsCodes).toEqual(texted.next.guard.smsCodes);

    const withdrawn = pure([texted.next], () => releaseSend(texted.next, "R1", { step: texted.step }, true));
    expect(withdrawn.guard.challenges.R1!.smsSends).toBe(0);
    expect(withdrawn.guard.smsCodes).toEqual([]);

    // Never below zero; without a pending login (a text to the user) only the code is withdrawn.
    const again = releaseSend(withdrawn, "R1", { step: texted.step }, false);
    expect(again.guard.challenges.R1!.smsSends).toBe(0);
    const other = textStep(account(), T0, config);
    expect(pure([other.next], () => releaseSend(other.next, undefined, { step: other.step }, true)).guard.smsCodes).toEqual([]);
    expect(pure([other.next], () => releaseSend(other.next, undefined, { step: other.step + 1 }, true)).guard.smsCodes).toEqual(other.next.guard.smsCodes);
  });
});
