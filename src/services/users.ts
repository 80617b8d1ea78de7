// The User API (FusionAuth `/api/user`): create, retrieve, replace, merge, delete, and the admin
// unlock. Every change goes to the user's Durable Object, which owns the account and its login-id
// claims; reads come from the KV replica it keeps. Passwords are write-only; the legacy 2FA fields
// follow FusionAuth's rules before 1.26.
import { loginIdName } from "../crypto/login-id-name";
import { hashPassword } from "../crypto/password";
import { randomId } from "../crypto/random";
import { eventUser, twoFactorMethod, type TrustRevocationReason } from "../domain/events";
import type { PublicMethod } from "../domain/methods";
import { fail, invalidField, unwrap } from "../domain/failures";
import { sameLoginId, type PublicUser } from "../domain/user";
import { DEFAULT_TENANT_ID, type UserInput } from "../domain/user-input";
import { loginIndex, userReplicas } from "../kv/users";
import { userGuard } from "../objects/user-guard";
import { checkMobilePhone, createAccount, deleteAccount, newUserRecord } from "./shared/accounts";
import { withMethodAddresses } from "./shared/addresses";
import { emit } from "./shared/events";
import type { Scope } from "./shared/scope";

/**
 * Creates a user (`userId`: the path's, or a new one). As in FusionAuth, the tenant header (what a
 * tenant-scoped client sends) decides the tenant over the body's.
 */
export async function createUser(scope: Scope, userId: string | undefined, input: UserInput, tenantHeader?: string): Promise<PublicUser> {
  if (!input.password) throw invalidField("user.password", "blank", "The [user.password] property is required.");
  const password = await hashPassword(input.password, scope.config.passwordFactor);
  const tenantId = tenantHeader ?? input.tenantId ?? DEFAULT_TENANT_ID;
  const created = await createAccount(scope, await newUserRecord(scope, input, { id: userId ?? randomId(), tenantId, password }));
  // The User API's create and delete announce themselves; an import (FusionAuth: no user.create) does not.
  emit(scope, { type: "user.create", user: created, info: {} });
  return created;
}

/**
 * The User API's change (`replace`: PUT, else PATCH): user.update, user.two-factor.method.add or
 * .remove when it switched 2FA (an admin reset), and user.trust.revoked when it ended trusted devices
 * (2FA off, a new password, a deactivation).
 */
export async function updateUser(scope: Scope, userId: string, input: UserInput, replace: boolean): Promise<PublicUser> {
  checkMobilePhone(scope, input.mobilePhone);
  const password = input.password ? await hashPassword(input.password, scope.config.passwordFactor) : undefined;
  const change = withMethodAddresses(scope, input);
  const { user, original, trustRevoked } = unwrap(await userGuard(scope.env, userId).update(change, replace, password, scope.now));
  emit(scope, { type: "user.update", user, info: { original: eventUser(original) } });
  for (const method of methodsMissingFrom(user, original)) {
    emit(scope, { type: "user.two-factor.method.add", userId, info: { method: shownKind(user, method), source: "user-api" } });
  }
  for (const method of methodsMissingFrom(original, user)) {
    emit(scope, { type: "user.two-factor.method.remove", userId, info: { method: shownKind(original, method), source: "admin-reset" } });
  }
  if (trustRevoked) {
    emit(scope, { type: "user.trust.revoked", userId, info: { reason: trustRevocationReason(user, original, password !== undefined), count: trustRevoked } });
  }
  return user;
}

/** Why a User API change revoked trusted devices (src/domain/enrolment.ts replaceUser), the first that applies. */
function trustRevocationReason(user: PublicUser, original: PublicUser, passwordSet: boolean): TrustRevocationReason {
  if (original.twoFactorEnabled && !user.twoFactorEnabled) return "two-factor-disabled";
  // A new password always changes the hash (a new salt), even within the instant's millisecond.
  if (passwordSet) return "password-changed";
  return "deactivated";
}

/** Lifts the user's login locks (wrong passwords and wrong codes, from every kind of source). */
export async function unlockUser(scope: Scope, userId: string): Promise<void> {
  unwrap(await userGuard(scope.env, userId).unlock());
}

/** Deletes the user (user.delete). */
export async function deleteUser(scope: Scope, userId: string): Promise<void> {
  const deleted = await deleteAccount(scope, userId);
  emit(scope, { type: "user.delete", user: deleted, info: {} });
}

/**
 * The user as last replicated; 404 when there is none. A replica written before methods existed
 * (no `twoFactor`) is read from the user's object instead, which writes a new one.
 */
export async function getUser(scope: Scope, userId: string): Promise<PublicUser> {
  const replica = await userReplicas(scope.env.KV).get(userId);
  if (!replica) throw fail({ kind: "not-found" });
  if (replica.user.twoFactor) return replica.user;
  return unwrap(await userGuard(scope.env, userId).refreshReplica()).user;
}

/** The user with this email, username or either (`loginId`); 404 when there is none. */
export async function findUser(scope: Scope, kind: "email" | "username" | "loginId", value: string): Promise<PublicUser> {
  const userId = await loginIndex(scope.env.KV).userIdFor(await loginIdName(value));
  const user = userId ? await getUser(scope, userId) : null;
  const matches = user && (kind === "loginId" ? sameLoginId(user.email, value) || sameLoginId(user.username, value) : sameLoginId(user[kind], value));
  if (!matches) throw fail({ kind: "not-found" });
  return user;
}

/** The methods of `user` that `other` does not have (by id). */
const methodsMissingFrom = (user: PublicUser, other: PublicUser) =>
  user.twoFactor.methods.filter((method) => !other.twoFactor.methods.some((kept) => kept.id === method.id));

/** A method's kind as events name it: a legacy TextMessage enrolment's authenticator is `sms`. */
const shownKind = (user: PublicUser, method: PublicMethod) => (method.method === "authenticator" ? twoFactorMethod(user.twoFactorDelivery) : method.method);
