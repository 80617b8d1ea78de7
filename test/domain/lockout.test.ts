// Lockout (src/domain/lockout.ts): FusionAuth's defaults, and smart lockout, which counts failures
// of familiar and unfamiliar sources apart. Pure functions: no object, no HTTP, no clock.
import { describe, expect, it } from "vitest";
import type { Account } from "../../src/domain/account";
import { openChallenge } from "../../src/domain/challenges";
import { DEFAULTS } from "../../src/domain/config";
import { isFamiliar, unlock, type Source } from "../../src/domain/lockout";
import { decidePassword } from "../../src/domain/login";
import { timeStep } from "../../src/domain/totp";
import { account, changed, complete, config, details, device, noTwoFactor, pure, SECOND, T0 } from "./accounts";

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

  it("keeps a trusted device out of the familiar network's locks: a stranger in the owner's /24 cannot lock it", () => {
    let state = knownAtHome({ trust: { h1: device(T0 + 600 * SECOND) } });
    const neighbour = { network: home };
    for (let i = 0; i < 5; i++) state = changed(decide(state, false, neighbour, T0 + i * SECOND), state);
    expect(decide(state, true, neighbour, T0 + 6 * SECOND).outcome.outcome).toBe("prevented");
    expect(decide(state, true, { trustHash: "h1", network: home }, T0 + 6 * SECOND).outcome).toEqual({
      outcome: "authenticated",
      twoFactorRequired: false,
      familiar: true,
    });
    // Nor do wrong codes from the network lock the device.
    state = { ...state, guard: { ...state.guard, familiar: { ...state.guard.familiar, codeLockedUntil: T0 + 1e6 } } };
    expect(decide(state, true, { trustHash: "h1" }, T0 + 6 * SECOND).outcome.outcome).toBe("authenticated");
  });

  it("counts wrong passwords with a trust id on that device: they lock it, not the familiar network or other devices", () => {
    let state = knownAtHome({ trust: { h1: device(T0 + 600 * SECOND), h2: device(T0 + 600 * SECOND) } });
    for (let i = 0; i < 5; i++) state = changed(decide(state, false, { trustHash: "h1" }, T0 + i * SECOND), state);
    expect(decide(state, true, { trustHash: "h1" }, T0 + 6 * SECOND).outcome.outcome).toBe("prevented");
    expect(decide(state, true, { trustHash: "h2" }, T0 + 6 * SECOND).outcome.outcome).toBe("authenticated");
    expect(decide(state, true, fromHome, T0 + 6 * SECOND).outcome.outcome).toBe("authenticated");
    expect(decide(state, true, { trustHash: "h1" }, T0 + 200 * SECOND).outcome.outcome).toBe("authenticated");
    const unlocked = pure([state], () => unlock(state));
    expect(decide(unlocked, true, { trustHash: "h1" }, T0 + 6 * SECOND).outcome.outcome).toBe("authenticated");
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
