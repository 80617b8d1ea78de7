// What the User and Import APIs share: a new user's record, checks of its fields, and creating or
// deleting an account in the user's Durable Object, which owns it and its login-id claims.
import { sealNewMethods } from "../../crypto/keyring";
import { newTotpSecret } from "../../crypto/random";
import { unwrap } from "../../domain/failures";
import type { PublicUser, UserRecord } from "../../domain/user";
import { applyMethods, applyProfile, applyTwoFactor, checkDataSize, requireLoginId, type UserInput } from "../../domain/user-input";
import { userGuard } from "../../objects/user-guard";
import { phoneNumber, withMethodAddresses } from "./addresses";
import type { Scope } from "./scope";

/**
 * Refuses a `mobilePhone` no text could be sent to, with the error a send gives
 * (`[invalid]user.mobilePhone`): it must be E.164 after normalisation. The number is kept as given,
 * as FusionAuth keeps it; sends normalise it again.
 */
export function checkMobilePhone(scope: Scope, mobilePhone: string | null | undefined): void {
  if (mobilePhone) phoneNumber(scope, mobilePhone, "user.mobilePhone");
}

/** A new user's record from `input` (User API create or import): checked, its 2FA secret encrypted. */
export async function newUserRecord(
  scope: Scope,
  input: UserInput,
  fields: Pick<UserRecord, "id" | "tenantId" | "password"> & Partial<Pick<UserRecord, "insertInstant" | "passwordLastUpdateInstant">>,
): Promise<UserRecord> {
  const { now } = scope;
  const user: UserRecord = {
    active: true,
    verified: true,
    passwordChangeRequired: false,
    insertInstant: now,
    lastUpdateInstant: now,
    passwordLastUpdateInstant: now,
    twoFactor: { methods: [] },
    ...fields,
  };
  applyProfile(user, input, true);
  requireLoginId(user);
  checkDataSize(user);
  checkMobilePhone(scope, user.mobilePhone);
  const enrolment = applyTwoFactor(user, undefined, input, () => newTotpSecret().secret);
  if (enrolment) user.twoFactor = { methods: await sealNewMethods(scope.env.ENCRYPTION_KEY, user.id, [], [enrolment]) };
  const methods = applyMethods([], withMethodAddresses(scope, input), "create");
  if (methods) user.twoFactor = { methods: await sealNewMethods(scope.env.ENCRYPTION_KEY, user.id, methods.kept, methods.added) };
  return user;
}

/** Creates the account from a complete record; `recoveryCodes` are stored forms (import). */
export async function createAccount(scope: Scope, user: UserRecord, recoveryCodes?: string[]): Promise<PublicUser> {
  return unwrap(await userGuard(scope.env, user.id).create(user, recoveryCodes)).user;
}

/** Deletes the account; answers the user deleted. */
export async function deleteAccount(scope: Scope, userId: string): Promise<PublicUser> {
  return unwrap(await userGuard(scope.env, userId).remove()).user;
}
