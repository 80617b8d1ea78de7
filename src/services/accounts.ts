// The User and Import APIs. Every change goes to the user's Durable Object, which owns the account
// and its login-id claims; reads come from the KV replica it keeps.
import type { Config } from "../domain/config";
import { fail, invalidField, unwrap, type FieldProblem } from "../domain/failures";
import { hashPassword } from "../crypto/password";
import { loginIdName } from "../crypto/login-id-name";
import { eventUser, twoFactorMethod, type TrustRevocationReason } from "../domain/events";
import type { UserInput } from "../domain/user-input";
import { sameLoginId, type PublicUser, type UserRecord } from "../domain/user";
import { loginIndex, userReplicas } from "../kv/users";
import { userGuard } from "../objects/user-guard";
import { normalizePhone } from "../sms/phone";
import { emit, type Background } from "./shared/events";

/**
 * Refuses a `mobilePhone` no text could be sent to, with the error a send gives
 * (`[invalid]user.mobilePhone`): it must be E.164 after normalisation. The number is kept as given,
 * as FusionAuth keeps it; sends normalise it again.
 */
export function checkMobilePhone(config: Config, mobilePhone: string | null | undefined): void {
  if (mobilePhone && !normalizePhone(mobilePhone, config.defaultPhoneRegion)) {
    throw invalidField("user.mobilePhone", "invalid", "The [user.mobilePhone] is not a phone number.");
  }
}

/** Creates a user from a complete record (validated by the caller); `recoveryCodes` are stored forms. */
export async function createUser(env: Env, user: UserRecord, recoveryCodes?: string[]): Promise<PublicUser> {
  return unwrap(await userGuard(env, user.id).create(user, recoveryCodes)).user;
}

/**
 * The User API's change: user.update, user.two-factor.method.add or .remove when it switched 2FA (an
 * admin reset), and user.trust.revoked when it ended trusted devices (2FA off, a new password, a deactivation).
 */
export async function updateUser(
  env: Env,
  config: Config,
  userId: string,
  input: UserInput,
  replace: boolean,
  nowMs: number,
  background: Background,
): Promise<PublicUser> {
  const password = input.password ? await hashPassword(input.password, config.passwordFactor) : undefined;
  const { user, original, trustRevoked } = unwrap(await userGuard(env, userId).update(input, replace, password, nowMs));
  emit(env, background, { type: "user.update", user, info: { original: eventUser(original) } });
  if (user.twoFactorEnabled && !original.twoFactorEnabled) {
    emit(env, background, { type: "user.two-factor.method.add", userId, info: { method: twoFactorMethod(user.twoFactorDelivery), source: "user-api" } });
  } else if (!user.twoFactorEnabled && original.twoFactorEnabled) {
    emit(env, background, {
      type: "user.two-factor.method.remove",
      userId,
      info: { method: twoFactorMethod(original.twoFactorDelivery), source: "admin-reset" },
    });
  }
  if (trustRevoked) emit(env, background, { type: "user.trust.revoked", userId, info: { reason: trustRevocationReason(user, original), count: trustRevoked } });
  return user;
}

/** Why a User API change revoked trusted devices (src/domain/guard-policy.ts replaceUser), the first that applies. */
function trustRevocationReason(user: PublicUser, original: PublicUser): TrustRevocationReason {
  if (original.twoFactorEnabled && !user.twoFactorEnabled) return "two-factor-disabled";
  if (user.passwordLastUpdateInstant !== original.passwordLastUpdateInstant) return "password-changed";
  return "deactivated";
}

/** Lifts the user's login locks (wrong passwords and wrong codes, from every kind of source). */
export async function unlockUser(env: Env, userId: string): Promise<void> {
  unwrap(await userGuard(env, userId).unlock());
}

/** Deletes the user; answers the user deleted. */
export async function deleteUser(env: Env, userId: string): Promise<PublicUser> {
  return unwrap(await userGuard(env, userId).remove()).user;
}

/** The user as last replicated, or null. A JWT issued before the user (re)appeared (`issuedAt`, s) finds nothing. */
export async function getUser(env: Env, userId: string, issuedAt?: number): Promise<PublicUser | null> {
  const replica = await userReplicas(env.KV).get(userId);
  if (!replica || (issuedAt !== undefined && issuedAt < Math.floor(replica.user.insertInstant / 1000))) return null;
  return replica.user;
}

/** The user with this email, username or either (`loginId`). */
export async function findUser(env: Env, kind: "email" | "username" | "loginId", value: string): Promise<PublicUser | null> {
  const userId = await loginIndex(env.KV).userIdFor(await loginIdName(value));
  const user = userId ? await getUser(env, userId) : null;
  if (!user) return null;
  const matches = kind === "loginId" ? sameLoginId(user.email, value) || sameLoginId(user.username, value) : sameLoginId(user[kind], value);
  return matches ? user : null;
}

/** A user to import, with the stored forms of their recovery codes. */
export type ImportedUser = { user: UserRecord; recoveryCodes: string[] };

/** Each created user costs a few Durable Object calls; batches keep a request within Workers' limits. */
const PARALLEL_CREATES = 8;

/**
 * Imports users all or nothing: duplicates against stored users are reported together first (from
 * the replica), then each user is created by its object, whose claims are the real check; a failure
 * part-way (e.g. a concurrent create taking an email) deletes the users already created.
 */
export async function importUsers(env: Env, imports: ImportedUser[]): Promise<void> {
  const users = imports.map(({ user }) => user);
  const duplicates = (await Promise.all(users.map((user, index) => storedDuplicates(env, user, index)))).flat();
  if (duplicates.length) throw fail({ kind: "invalid", errors: duplicates });
  const created: UserRecord[] = [];
  try {
    for (let start = 0; start < users.length; start += PARALLEL_CREATES) {
      const batch = users.slice(start, start + PARALLEL_CREATES);
      const results = await Promise.allSettled(batch.map((user, index) => createUser(env, user, imports[start + index]!.recoveryCodes)));
      results.forEach((result, index) => result.status === "fulfilled" && created.push(batch[index]!));
      const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failure) throw failure.reason;
    }
  } catch (error) {
    await Promise.all(created.map((user) => deleteUser(env, user.id)));
    throw error;
  }
}

async function storedDuplicates(env: Env, user: UserRecord, index: number): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const duplicate = (kind: string, value: string) =>
    problems.push({ field: `users.${index}.${kind}`, type: "duplicate", message: `A User with ${kind} = [${value}] already exists.` });
  if (await getUser(env, user.id)) duplicate("id", user.id);
  for (const kind of ["email", "username"] as const) {
    const value = user[kind];
    if (value && (await loginIndex(env.KV).userIdFor(await loginIdName(value)))) duplicate(kind, value);
  }
  return problems;
}
