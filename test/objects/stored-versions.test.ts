// Every Durable Object class keeps its storage layout's version (src/objects/stored-version.ts): a
// fresh instance keeps what today's code stored; state stored before versions, today's shapes or the
// earlier ones the user's object upgrades, reaches the current version losing nothing; each step runs
// once; a version newer than the code knows is refused and left as it is.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Guard } from "../../src/domain/account";
import type { UserRecord } from "../../src/domain/user";
import { readConfig } from "../../src/kv/config";
import { budgetThrottle, rangeThrottle, type Send } from "../../src/objects/phone-throttle";
import { StoredVersion, type UpgradeStep } from "../../src/objects/stored-version";
import { accountSteps } from "../../src/objects/user/store";
import { call, codeFor, createTwoFactorUserWithoutCode, createUser, login, startTwoFactorLogin, trustedLogin, twoFactorLogin } from "../helpers";
import { identifierClaimOf, objectKeys, replaceStoredState, storedState, userGuardOf, type ObjectOf } from "../storage";

const USER_VERSION = accountSteps(readConfig(env)).at(-1)!.to;
/** Claims and throttles have no steps yet: their layout is the one stored before versions. */
const FIRST_VERSION = 1;

/** What an object stores, without the layout's version: as deployments before versions hold it. */
function unversioned(state: Record<string, unknown>): Record<string, unknown> {
  const { [objectKeys.version]: _version, ...rest } = state;
  return rest;
}

/** A user with an authenticator, a trusted device and a login record, two wrong passwords counted, and a pending login. */
async function busyUser() {
  const user = await createTwoFactorUserWithoutCode();
  await trustedLogin(user);
  for (let i = 0; i < 2; i++) expect((await login(user.email, "not the password")).status).toBe(404);
  const twoFactorId = await startTwoFactorLogin(user);
  return { ...user, twoFactorId, stub: () => userGuardOf(user.id) };
}

describe("the user's object", () => {
  it("reloads what today's code stored in a fresh instance, the same, at the current version; its pending login completes", async () => {
    const user = await busyUser();
    const stored = await storedState(user.stub);
    expect(stored[objectKeys.version]).toBe(USER_VERSION);
    expect(Object.keys(stored).some((key) => key.startsWith(objectKeys.loginRecordPrefix))).toBe(true);

    await replaceStoredState(user.stub, stored);
    expect(await storedState(user.stub)).toEqual(stored);
    expect((await twoFactorLogin({ twoFactorId: user.twoFactorId, code: await codeFor(user.secret, 1) })).status).toBe(200);
  });

  it("upgrades today's shapes stored without a version to the current version, changing nothing else", async () => {
    const user = await busyUser();
    const stored = await storedState(user.stub);

    await replaceStoredState(user.stub, unversioned(stored));
    expect(await storedState(user.stub)).toEqual(stored);
    expect((await twoFactorLogin({ twoFactorId: user.twoFactorId, code: await codeFor(user.secret, 1) })).status).toBe(200);
  });

  it("upgrades the earlier shapes stored without a version (record before methods, trust ids as expiries, no recovery codes or token stamp)", async () => {
    const user = await busyUser();
    const stored = await storedState(user.stub);
    const record = stored[objectKeys.user] as UserRecord;
    const { version, guard } = stored[objectKeys.guard] as { version: number; guard: Guard };
    const method = record.twoFactor.methods[0]!;
    const sealed = "secret" in method ? method.secret : "";
    const { twoFactor: _methods, ...withoutMethods } = record;
    const [trustHash, device] = Object.entries(guard.trust)[0]!;
    const { recoveryCodes: _codes, tokenStamp: _stamp, ...earlierGuard } = guard;
    const earlier = {
      ...unversioned(stored),
      [objectKeys.user]: { ...withoutMethods, twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: sealed },
      [objectKeys.guard]: { version, guard: { ...earlierGuard, trust: { [trustHash]: device.expiresAt } } },
    };

    await replaceStoredState(user.stub, earlier);
    const upgraded = await storedState(user.stub);
    const issuedAt = device.expiresAt - readConfig(env).twoFactorTrustIdTtlSeconds * 1000;
    expect(upgraded).toEqual({
      ...stored,
      [objectKeys.user]: {
        ...withoutMethods,
        twoFactor: { methods: [{ id: expect.stringMatching(/^[A-Z0-9]{4}$/), method: "authenticator", secret: sealed }] },
      },
      [objectKeys.guard]: {
        version,
        guard: { ...guard, recoveryCodes: [], tokenStamp: "", trust: { [trustHash]: { issuedAt, lastUsedAt: issuedAt, expiresAt: device.expiresAt } } },
      },
    });
    expect((await twoFactorLogin({ twoFactorId: user.twoFactorId, code: await codeFor(user.secret, 1) })).status).toBe(200);
  });

  it("writes no version into an object that stores nothing (a user id nobody has), and writes it with the first value", async () => {
    const userId = crypto.randomUUID();
    expect((await call("GET", `/api/user/${userId}`)).status).toBe(404);
    expect(await storedState(() => userGuardOf(userId))).toEqual({});

    const user = await createUser();
    expect((await storedState(() => userGuardOf(user.id)))[objectKeys.version]).toBe(USER_VERSION);
  });
});

describe("the claim and throttle objects", () => {
  it("keep a login id's claim, and a throttle's sends and figures, through a fresh instance, with or without a version", async () => {
    const user = await createUser();
    const range = "+1415555021";
    const send: Send = {
      channel: "sms",
      recipient: `${range}7`,
      group: range,
      bucket: "US",
      purpose: "enrolment",
      nowMs: Date.now(),
      limits: { minIntervalSeconds: 30, maxPerRecipientPerHour: 10, maxPerGroupPerHour: 30 },
    };
    const shard = () => rangeThrottle(env, range);
    expect(await (await shard()).acquire(send)).toEqual({ allowed: true });
    const spend = {
      channel: "sms",
      bucket: "US",
      client: "198.51.100.21",
      nowMs: send.nowMs,
      limits: { maxPerClientPerHour: 5, maxPerBucketPerHour: 9, maxPerHour: 9 },
    } as const;
    expect(await budgetThrottle(env).spend(spend)).toEqual({ allowed: true });
    await budgetThrottle(env).countRefusal("GB", "number-type", send.nowMs);

    for (const stub of [() => identifierClaimOf(user.email), shard, () => budgetThrottle(env)]) {
      const stored = await storedState(stub);
      expect(stored[objectKeys.version]).toBe(FIRST_VERSION);
      expect(Object.keys(unversioned(stored)).length).toBeGreaterThan(0);
      await replaceStoredState(stub, stored);
      expect(await storedState(stub)).toEqual(stored);
      await replaceStoredState(stub, unversioned(stored));
      expect(await storedState(stub)).toEqual(stored);
    }
    expect((await login(user.email, user.password)).status).toBe(200);
  });
});

describe("a version newer than the code knows", () => {
  it("is refused by every class's constructor with a clear error, and nothing is written (a rolled-back deploy must not run on a later one's state)", async () => {
    const user = await createUser();
    const shard = () => rangeThrottle(env, "+1415555022");
    await (await shard()).countRefusal("US", "number-type", Date.now());
    const objects: Array<[string, ObjectOf]> = [
      ["UserGuard", () => userGuardOf(user.id)],
      ["IdentifierClaim", () => identifierClaimOf(user.email)],
      ["PhoneThrottle", shard],
    ];
    for (const [name, objectOf] of objects) {
      // A second instance over the object's own storage, so the object itself stays usable for the suite's clean-up.
      await runInDurableObject(await objectOf(), (instance, state) => {
        const current = state.storage.kv.get<number>(objectKeys.version)!;
        state.storage.kv.put(objectKeys.version, current + 1);
        const before = Object.fromEntries(state.storage.kv.list());
        const Class = instance.constructor as new (state: DurableObjectState, env: Env) => unknown;
        expect(() => new Class(state, env)).toThrow(
          `${name}: stored state is at version ${current + 1}, newer than this code's ${current}; refusing to run on it`,
        );
        expect(Object.fromEntries(state.storage.kv.list())).toEqual(before);
        state.storage.kv.put(objectKeys.version, current);
      });
    }
  });
});

describe("StoredVersion", () => {
  /** Steps to 2 and 3 that count their runs and leave a mark. */
  function countingSteps() {
    const runs: number[] = [];
    const steps: UpgradeStep[] = [2, 3].map((to) => ({
      to,
      why: `test step ${to}`,
      run: (storage) => {
        runs.push(to);
        storage.put(`mark:${to}`, true);
      },
    }));
    return { runs, steps };
  }

  /** Runs `test` on the storage of an object of its own. */
  const withStorage = (test: (storage: DurableObjectStorage) => void) =>
    runInDurableObject(env.PHONE_THROTTLE.get(env.PHONE_THROTTLE.newUniqueId()), (_instance, state) => test(state.storage));

  it("runs each step above the stored version once, in order, and writes the version with them", async () => {
    await withStorage((storage) => {
      const { runs, steps } = countingSteps();
      storage.kv.put("kept", 1);
      storage.kv.delete(objectKeys.version);
      new StoredVersion(storage, "Test", steps);
      new StoredVersion(storage, "Test", steps);
      expect(runs).toEqual([2, 3]);
      expect(Object.fromEntries(storage.kv.list())).toEqual({ kept: 1, "mark:2": true, "mark:3": true, [objectKeys.version]: 3 });

      storage.kv.put(objectKeys.version, 2);
      new StoredVersion(storage, "Test", steps);
      expect(runs).toEqual([2, 3, 3]);
    });
  });

  it("leaves the storage as it was when a step throws, so the next load runs them all again", async () => {
    await withStorage((storage) => {
      const { runs, steps } = countingSteps();
      storage.kv.put("kept", 1);
      storage.kv.delete(objectKeys.version);
      const failing = [steps[0]!, { to: 3, why: "fails", run: () => void (runs.push(-1), fail()) }];
      expect(() => new StoredVersion(storage, "Test", failing)).toThrow("step failed");
      expect(Object.fromEntries(storage.kv.list())).toEqual({ kept: 1 });
      new StoredVersion(storage, "Test", steps);
      expect(runs).toEqual([2, -1, 2, 3]);
    });
  });

  it("refuses a newer version without running a step or writing anything", async () => {
    await withStorage((storage) => {
      const { runs, steps } = countingSteps();
      storage.kv.put("kept", 1);
      storage.kv.put(objectKeys.version, 4);
      expect(() => new StoredVersion(storage, "Test", steps)).toThrow("Test: stored state is at version 4, newer than this code's 3; refusing to run on it");
      expect(runs).toEqual([]);
      expect(Object.fromEntries(storage.kv.list())).toEqual({ kept: 1, [objectKeys.version]: 4 });
    });
  });

  it("writes the version of a new object with its first value, and again after the object was emptied", async () => {
    await withStorage((storage) => {
      for (const [key] of storage.kv.list()) storage.kv.delete(key);
      const version = new StoredVersion(storage, "Test", countingSteps().steps);
      expect([...storage.kv.list()]).toEqual([]);
      version.stamp();
      expect(storage.kv.get(objectKeys.version)).toBe(3);
      version.forget();
      expect([...storage.kv.list()]).toEqual([]);
      version.stamp();
      expect(storage.kv.get(objectKeys.version)).toBe(3);
    });
  });
});

function fail(): never {
  throw new Error("step failed");
}
