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

/** Claims every login id of `user` that `previous` did not hold; on a conflict releases what it took. */
async function claimLoginIds(env: Env, user: UserRecord, previous?: UserRecord): Promise<void> {
  const taken: Array<[LoginIdKind, string]> = [];
  for (const kind of LOGIN_ID_KINDS) {
    const value = user[kind];
    if (!value || value.toLowerCase() === previous?.[kind]?.toLowerCase()) continue;
    const owner = await identifierClaim(env, kind, value).claim(user.id);
    if (owner !== user.id) {
      await Promise.all(taken.map(([k, v]) => identifierClaim(env, k, v).release(user.id)));
      throw duplicate(kind, value);
    }
    taken.push([kind, value]);
  }
}

async function releaseLoginIds(env: Env, user: UserRecord, next?: UserRecord): Promise<void> {
  const users = userRepository(env.KV);
  await Promise.all(
    LOGIN_ID_KINDS.flatMap((kind) => {
      const value = user[kind];
      if (!value || value.toLowerCase() === next?.[kind]?.toLowerCase()) return [];
      return [identifierClaim(env, kind, value).release(user.id), users.deleteIndex(kind, value)];
    }),
  );
}

async function writeRecord(env: Env, user: UserRecord): Promise<void> {
  const users = userRepository(env.KV);
  await users.put(user);
  await Promise.all(LOGIN_ID_KINDS.flatMap((kind) => (user[kind] ? [users.putIndex(kind, user[kind]!, user.id)] : [])));
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

/** `previous` comes from loadAccount; a changed 2FA enrolment goes to the guard before KV. */
export async function updateAccount(env: Env, previous: UserRecord, user: UserRecord): Promise<void> {
  await claimLoginIds(env, user, previous);
  const guard = userGuard(env, user.id);
  if (user.twoFactorEnabled !== previous.twoFactorEnabled || user.twoFactorSecret !== previous.twoFactorSecret) {
    const enrolment = user.twoFactorEnabled && user.twoFactorSecret ? { delivery: user.twoFactorDelivery, secret: user.twoFactorSecret } : null;
    await guard.setTwoFactor(enrolment);
  }
  if (user.active !== previous.active || user.passwordLastUpdateInstant !== previous.passwordLastUpdateInstant) {
    await guard.setAccess(accessOf(user));
  }
  await writeRecord(env, user);
  await releaseLoginIds(env, previous, user);
}

export async function deleteAccount(env: Env, user: UserRecord): Promise<void> {
  await userRepository(env.KV).delete(user.id);
  await releaseLoginIds(env, user);
  await userGuard(env, user.id).destroy();
}
