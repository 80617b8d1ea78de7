// Writes that span KV and the Durable Objects: a user's record and indexes in KV, the uniqueness
// claims on its email and username, and its guard. Claims come first so that a concurrent
// duplicate loses before anything is written.
import { fieldError, type ApiError } from "../domain/errors";
import { identifierClaim } from "../durable/identifier-claim";
import { userGuard } from "../durable/user-guard";
import { userRepository, type LoginIdKind, type UserRecord } from "./users";

const LOGIN_ID_KINDS: LoginIdKind[] = ["email", "username"];

function duplicate(kind: LoginIdKind, value: string): ApiError {
  return fieldError(`user.${kind}`, "duplicate", `A User with ${kind} = [${value}] already exists.`);
}

const accessOf = (user: UserRecord) => ({ active: user.active, passwordChangedAt: user.passwordLastUpdateInstant });

/** Runs every step even when some fail, then fails with the first failure: for clean-ups. */
async function allOrFirstError(steps: Array<Promise<unknown>>): Promise<void> {
  const failure = (await Promise.allSettled(steps)).find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure) throw failure.reason;
}

/** Claims every login id of `user` that `previous` did not hold; on a conflict releases what it took. */
async function claimLoginIds(env: Env, user: UserRecord, previous?: UserRecord): Promise<void> {
  const taken: Array<[LoginIdKind, string]> = [];
  for (const kind of LOGIN_ID_KINDS) {
    const value = user[kind];
    if (!value || value.toLowerCase() === previous?.[kind]?.toLowerCase()) continue;
    const owner = await (await identifierClaim(env, kind, value)).claim(user.id);
    if (owner !== user.id) {
      await allOrFirstError(taken.map(async ([k, v]) => (await identifierClaim(env, k, v)).release(user.id)));
      throw duplicate(kind, value);
    }
    taken.push([kind, value]);
  }
}

/** Releases every login id of `user` that `next` does not hold, and its index entry. */
async function releaseLoginIds(env: Env, user: UserRecord, next?: UserRecord): Promise<void> {
  const users = userRepository(env.KV);
  await allOrFirstError(
    LOGIN_ID_KINDS.flatMap((kind) => {
      const value = user[kind];
      if (!value || value.toLowerCase() === next?.[kind]?.toLowerCase()) return [];
      return [identifierClaim(env, kind, value).then((claim) => claim.release(user.id)), users.deleteIndex(kind, value)];
    }),
  );
}

async function writeRecord(env: Env, user: UserRecord): Promise<void> {
  const users = userRepository(env.KV);
  await users.put(user);
  await Promise.all(LOGIN_ID_KINDS.flatMap((kind) => (user[kind] ? [users.putIndex(kind, user[kind]!, user.id)] : [])));
}

/** Brings the guard from `from`'s 2FA enrolment and access to `to`'s. */
async function updateGuard(env: Env, from: UserRecord, to: UserRecord): Promise<void> {
  const guard = userGuard(env, to.id);
  if (to.twoFactorEnabled !== from.twoFactorEnabled || to.twoFactorSecret !== from.twoFactorSecret) {
    await guard.setTwoFactor(to.twoFactorEnabled && to.twoFactorSecret ? { delivery: to.twoFactorDelivery, secret: to.twoFactorSecret } : null);
  }
  if (to.active !== from.active || to.passwordLastUpdateInstant !== from.passwordLastUpdateInstant) {
    await guard.setAccess(accessOf(to));
  }
}

export async function createAccount(env: Env, user: UserRecord): Promise<void> {
  const guard = userGuard(env, user.id);
  if (!(await guard.create(user.id, accessOf(user)))) throw fieldError("userId", "duplicate", `A User with Id = [${user.id}] already exists.`);
  try {
    await claimLoginIds(env, user);
  } catch (error) {
    await guard.destroy();
    throw error;
  }
  try {
    if (user.twoFactorEnabled && user.twoFactorSecret) {
      await guard.setTwoFactor({ delivery: user.twoFactorDelivery, secret: user.twoFactorSecret });
    }
    await writeRecord(env, user);
  } catch (error) {
    // Leave nothing half-created: no orphaned claims keeping the email or id taken.
    await deleteAccount(env, user).catch(() => undefined);
    throw error;
  }
}

/** The KV record with what its guard holds (2FA enrolment, last login), which wins over a stale KV copy. */
export async function loadAccount(env: Env, userId: string): Promise<UserRecord | null> {
  const [user, guarded] = await Promise.all([userRepository(env.KV).get(userId), userGuard(env, userId).snapshot()]);
  if (!user || !guarded) return null;
  return {
    ...user,
    twoFactorEnabled: guarded.enabled,
    twoFactorDelivery: guarded.delivery,
    twoFactorSecret: guarded.secret,
    lastLoginInstant: guarded.lastLoginInstant,
  };
}

/**
 * `previous` comes from loadAccount. The guard changes before KV, so the record never claims a 2FA
 * state the guard lacks; on a failure both go back to `previous` and new claims are released.
 */
export async function updateAccount(env: Env, previous: UserRecord, user: UserRecord): Promise<void> {
  await claimLoginIds(env, user, previous);
  try {
    await updateGuard(env, previous, user);
    await writeRecord(env, user);
  } catch (error) {
    await Promise.allSettled([updateGuard(env, user, previous), writeRecord(env, previous)]);
    await releaseLoginIds(env, user, previous).catch(() => undefined);
    throw error;
  }
  await releaseLoginIds(env, previous, user);
}

export async function deleteAccount(env: Env, user: UserRecord): Promise<void> {
  await allOrFirstError([userRepository(env.KV).delete(user.id), releaseLoginIds(env, user), userGuard(env, user.id).destroy()]);
}
