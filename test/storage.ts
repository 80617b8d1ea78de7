// The one test module that knows how state is stored: the KV keys and the user's Durable Object's
// own keys. Tests about behaviour reach state through the API; the few that must look at or change
// stored state (hot-path budgets, faults, races) come here, so a change of layout is one edit.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { loginIdClaimNames, loginIdName } from "../src/crypto/login-id-name";
import { openTwoFactorId } from "../src/crypto/two-factor-id";
import type { Account, Challenge } from "../src/domain/account";
import { VERSION_KEY } from "../src/objects/stored-version";
import { readWebhooks, type StoredWebhook } from "../src/kv/webhooks";

/** The KV keys (src/kv/*.ts). */
export const kvKeys = {
  user: (userId: string) => `${kvKeys.userPrefix}${userId}`,
  userPrefix: "v1:user:",
  loginIndex: async (loginId: string) => `v1:${await loginIdName(loginId)}`,
  webhooks: "v1:webhooks",
  integrations: "v1:integrations",
  keyRotation: "v1:key-rotation",
};

/**
 * The keys of a user's object: the record, the guard state (with the account's version), login
 * records, decoy counters, and the layout's version (every object class keeps one, src/objects/stored-version.ts).
 */
export const objectKeys = { user: "user", guard: "guard", loginRecordPrefix: "login-record:", decoyPrefix: "decoy:", version: VERSION_KEY };

export const userGuardOf = (userId: string) => env.USER_GUARD.get(env.USER_GUARD.idFromName(userId));

/** The guard state as stored beside the record. */
type StoredGuard = { version: number; guard: Account["guard"]; replicaDueAt?: number };

export const storedGuard = (state: DurableObjectState) => state.storage.kv.get<StoredGuard>(objectKeys.guard);

/** The account as the user's object stores it. */
export function storedAccount(state: DurableObjectState): Account {
  const { version, guard } = storedGuard(state)!;
  return { version, user: state.storage.kv.get<Account["user"]>(objectKeys.user)!, guard };
}

/** A user's stored account (record and guard state), as its Durable Object keeps it. */
export function readAccount(userId: string): Promise<Account> {
  return runInDurableObject(userGuardOf(userId), (_instance, state) => storedAccount(state));
}

/**
 * Edits a user's stored account, then evicts the objects (as the runtime may at any time), so the
 * next call loads the edited state from storage. The edit may write an earlier layout's shapes, so
 * the account is stored without a layout version, as before versions were stored: the next load runs
 * every upgrade step, which leave today's shapes as they are.
 */
export async function editAccount(userId: string, edit: (account: Account) => void): Promise<void> {
  await runInDurableObject(userGuardOf(userId), (_instance, state) => {
    const account = storedAccount(state);
    edit(account);
    state.storage.kv.put(objectKeys.user, account.user);
    state.storage.kv.put(objectKeys.guard, { ...storedGuard(state), version: account.version, guard: account.guard } satisfies StoredGuard);
    state.storage.kv.delete(objectKeys.version);
  });
  await abortAllDurableObjects();
}

/** The claim object of a login id (its own name, the indexed one). */
export async function identifierClaimOf(loginId: string) {
  const [own] = await loginIdClaimNames(loginId);
  return env.IDENTIFIER_CLAIM.get(env.IDENTIFIER_CLAIM.idFromName(own!));
}

/** An object's stub, made anew for each use: a stub made before objects are evicted fails. */
export type ObjectOf = () => DurableObjectStub | Promise<DurableObjectStub>;

/** Everything an object stores, by key. */
export const storedState = async (objectOf: ObjectOf): Promise<Record<string, unknown>> =>
  runInDurableObject(await objectOf(), (_instance, state) => Object.fromEntries(state.storage.kv.list()));

/**
 * Replaces what an object stores with `state` (the layout's version among it, or not: as stored
 * before versions were), then evicts the objects, so the next call loads it as a new instance.
 */
export async function replaceStoredState(objectOf: ObjectOf, state: Record<string, unknown>): Promise<void> {
  await runInDurableObject(await objectOf(), (_instance, { storage }) => {
    for (const [key] of storage.kv.list()) storage.kv.delete(key);
    for (const [key, value] of Object.entries(state)) storage.kv.put(key, value);
  });
  await abortAllDurableObjects();
}

/** The user a twoFactorId routes to and the key its challenge is kept under. */
export async function challengeOf(twoFactorId: string): Promise<{ userId: string; key: string; stub: ReturnType<typeof userGuardOf> }> {
  const opened = (await openTwoFactorId(env.ENCRYPTION_KEY, twoFactorId))!;
  return { userId: opened.userId, key: opened.challengeKey, stub: userGuardOf(opened.userId) };
}

/** The pending login a twoFactorId names, or undefined once it is gone. */
export async function readChallenge(twoFactorId: string): Promise<Challenge | undefined> {
  const { userId, key } = await challengeOf(twoFactorId);
  return (await readAccount(userId)).guard.challenges[key];
}

/** Moves a pending challenge's expiry into the past without running the alarm. */
export async function expireChallenge(twoFactorId: string): Promise<void> {
  const { userId, key } = await challengeOf(twoFactorId);
  await editAccount(userId, (account) => {
    account.guard.challenges[key]!.expiresAt = Date.now() - 1_000;
  });
}

/** The webhooks as KV keeps them (one document). */
export const storedWebhooks = async (): Promise<StoredWebhook[]> => (await env.KV.get<StoredWebhook[]>(kvKeys.webhooks, "json")) ?? [];

/** Edits the stored webhooks, then reads them back so that this isolate's copy (which deliveries use) is the edited one. */
export async function editStoredWebhooks(edit: (webhooks: StoredWebhook[]) => void): Promise<void> {
  const webhooks = await storedWebhooks();
  edit(webhooks);
  await env.KV.put(kvKeys.webhooks, JSON.stringify(webhooks));
  await readWebhooks(env.KV);
}
