// Hand-built accounts for the tests of a user's decisions (src/domain/{account,lockout,trust,codes,
// challenges,login,enrolment}.ts), and `pure`: every call gets a deep-frozen input, so a function
// that modified its input would throw; the input is also compared with a copy afterwards.
import { expect } from "vitest";
import { newGuard, type Account, type Decision, type TrustedDevice } from "../../src/domain/account";
import { openChallenge, type ChallengeDetails } from "../../src/domain/challenges";
import { parseConfig, type Config } from "../../src/domain/config";
import { completeChallenge } from "../../src/domain/login";
import { timeStep } from "../../src/domain/totp";
import type { UserRecord } from "../../src/domain/user";

export const SECOND = 1000;
/** 10 s into a time step, so a few seconds either way stay in the same step. */
export const T0 = 56_666_667 * 30 * SECOND + 10 * SECOND;
export const STEP = timeStep(T0);
/** A trusted device issued an hour before T0 that expires at `expiresAt`. */
export const device = (expiresAt: number): TrustedDevice => ({ issuedAt: T0 - 3600 * SECOND, lastUsedAt: T0 - 3600 * SECOND, expiresAt });

export const config: Config = parseConfig({});

export const withConfig = (change: (copy: Config) => void): Config => {
  const copy = structuredClone(config);
  change(copy);
  return copy;
};

export function userRecord(fields: Partial<UserRecord> = {}): UserRecord {
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
    twoFactor: { methods: [] },
    ...fields,
  };
}

/** An account with 2FA enabled by an authenticator app unless `user` says otherwise. */
export function account(user: Partial<UserRecord> = {}, guard: Partial<Account["guard"]> = {}, version = 7): Account {
  return {
    version,
    user: userRecord({ twoFactor: { methods: [{ id: "AUTH", method: "authenticator", secret: "sealed-secret" }] }, ...user }),
    guard: { ...newGuard("stamp-1"), generation: 1, ...guard },
  };
}

export const noTwoFactor = (guard: Partial<Account["guard"]> = {}) => account({ twoFactor: { methods: [] } }, { generation: 0, ...guard });

export const details: ChallengeDetails = {
  applicationId: "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
  ipAddress: "192.0.2.7",
  metaData: '{"device":"x"}',
  noJWT: false,
  familiar: false,
};

/** An account with one pending login under `key`, opened at `at`. */
export function withChallenge(base: Account = account(), key = "R1", at = T0): Account {
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
export function pure<R>(inputs: unknown[], decide: () => R): R {
  const before = structuredClone(inputs);
  inputs.forEach(deepFreeze);
  const result = decide();
  expect(inputs).toEqual(before);
  return result;
}

/** The code step, always through `pure`. */
export const complete = (a: Account, key: string, code: { code: string; step: number | null }, trustHash: string | undefined, nowMs: number, cfg = config) =>
  pure([a], () => completeChallenge(a, key, code, trustHash, nowMs, cfg));

/** A decision that changed the account: its next state, with the version moved on by one. */
export function changed<O>(decision: Decision<O>, from: Account): Account {
  expect(decision.next).not.toBeNull();
  expect(decision.next!.version).toBe(from.version + 1);
  return decision.next!;
}
