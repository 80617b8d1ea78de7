// The user's object writes every change through AccountStore.transact: a decision's next state is in
// storage in the same turn as the read it started from, a decision that awaits does not compile, and
// a change too large for the object's storage is refused before anything is written.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AccountStore } from "../../src/objects/user/store";
import { createUser } from "../helpers";
import { storedAccount, userGuardOf } from "../storage";

const storeOf = (instance: unknown) => (instance as { store: AccountStore }).store;

describe("AccountStore.transact", () => {
  it("writes the decision's next state before its first await", async () => {
    const user = await createUser();
    await runInDurableObject(userGuardOf(user.id), async (instance, state) => {
      const store = storeOf(instance);
      const version = store.account!.version;
      const done = store.transact((account) => ({ next: { ...account!, version: version + 1 }, outcome: "changed" }));
      // Nothing else has run since the call: the write is already in storage.
      expect(storedAccount(state).version).toBe(version + 1);
      expect(store.account!.version).toBe(version + 1);
      expect(await done).toBe("changed");
    });
  });

  it("writes nothing for a decision that changes nothing", async () => {
    const user = await createUser();
    await runInDurableObject(userGuardOf(user.id), async (instance, state) => {
      const before = storedAccount(state);
      expect(await storeOf(instance).transact(() => ({ next: null, outcome: "unchanged" }))).toBe("unchanged");
      expect(storedAccount(state)).toEqual(before);
    });
  });

  it("refuses a change with a value too large to store: nothing written, the account as it was, the next change written", async () => {
    const user = await createUser();
    await runInDurableObject(userGuardOf(user.id), async (instance, state) => {
      const store = storeOf(instance);
      const before = storedAccount(state);
      const huge = { ...before.user, data: { note: "x".repeat(1024 * 1024) } };
      expect(await store.transact((account) => ({ next: { ...account!, version: account!.version + 1, user: huge }, outcome: "changed" }))).toEqual({
        ok: false,
        outcome: "refused",
        problem: { kind: "too-large", message: expect.any(String) },
      });
      expect(storedAccount(state)).toEqual(before);
      expect(store.account).toEqual(before);
      expect(await store.transact((account) => ({ next: { ...account!, version: account!.version + 1 }, outcome: "changed" }))).toBe("changed");
      expect(storedAccount(state).version).toBe(before.version + 1);
    });
  });

  it("refuses a decision that awaits, at compile time", () => {
    // @ts-expect-error: `decide` returns a Change, never a Promise of one.
    const awaiting = (store: AccountStore) => store.transact(async () => ({ next: null, outcome: 0 }));
    expect(awaiting).toBeTypeOf("function");
  });
});
