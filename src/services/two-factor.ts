// The two-factor API's operations on a user, in both eras: the legacy enable, disable and send
// (FusionAuth before 1.26) and the 1.26+ methods (add one, remove one, send a code to enable or
// disable one, name one). Each change is one call to the user's object.
import { newRecoveryCodes, sealRecoveryCodes } from "../crypto/recovery-codes";
import { newTotpSecret } from "../crypto/random";
import { hotp } from "../crypto/totp";
import { methodKind, twoFactorMethod } from "../domain/events";
import { ONE_TIME_CODE_TTL_SECONDS, type OneTimeCodeTarget } from "../domain/method-enrolment";
import type { Destination } from "../domain/methods";
import type { TextClient } from "../domain/sms-guard";
import { timeStep } from "../domain/totp";
import type { TwoFactorDelivery } from "../domain/user";
import { forgetEnrolmentCode, readEnrolmentCodes, rememberEnrolmentCode } from "../kv/enrolment-codes";
import { userGuard, type UserGuardStub } from "../objects/user-guard";
import type { Added, CodeToSend, Disabled } from "../objects/user/results";
import { emailAddress, phoneNumber } from "./shared/addresses";
import { deliverCode, requireChannel } from "./shared/deliver";
import { emit } from "./shared/events";
import { newOneTimeCodeFor } from "./shared/one-time-codes";
import type { Scope } from "./shared/scope";
import { requireTwilio, textCode } from "./shared/sms";
import { unwrapChecked, unwrapFor, type Target } from "./shared/target";

/** A new secret for an authenticator app (`GET /api/two-factor/secret`). */
export const newSecret = () => newTotpSecret();

export async function enableTwoFactor(scope: Scope, target: Target, request: { key: Uint8Array; code: string; delivery: TwoFactorDelivery }): Promise<void> {
  const { env, now } = scope;
  const smsCodes = await readEnrolmentCodes(env.KV, request.key);
  unwrapFor(target, await userGuard(env, target.userId).enable(target, request.key, request.code, request.delivery, now, smsCodes));
  emit(scope, { type: "user.two-factor.method.add", userId: target.userId, info: { method: twoFactorMethod(request.delivery), source: "enable" } });
}

export type MethodRequest =
  | { method: "authenticator"; key: Uint8Array; name?: string }
  | { method: "sms"; mobilePhone: string; name?: string }
  | { method: "email"; email: string; name?: string };

/**
 * Adds a method (FusionAuth 1.26+ enable) once `code` proves it: answers the recovery codes when it
 * is the user's first method (the only time they are shown, besides a new set).
 */
export async function addMethod(scope: Scope, target: Target, method: MethodRequest, code: string): Promise<{ recoveryCodes?: string[] }> {
  const { env, now } = scope;
  const adding =
    method.method === "sms"
      ? { ...method, mobilePhone: phoneNumber(scope, method.mobilePhone, "mobilePhone") }
      : method.method === "email"
        ? { ...method, email: emailAddress(method.email, "email") }
        : method;
  const codes = newRecoveryCodes();
  const hashes = (await sealRecoveryCodes(env.ENCRYPTION_KEY, target.userId, codes))!;
  const added = unwrapFor<Added>(target, await userGuard(env, target.userId).addMethod(target, adding, code, hashes, now));
  emit(scope, { type: "user.two-factor.method.add", userId: target.userId, info: { method: method.method, source: "enable" } });
  return added.recoveryCodes ? { recoveryCodes: codes } : {};
}

/**
 * Disables 2FA (legacy), or removes the method `methodId` (1.26+), with a code or a recovery code
 * (which removes every method, and the other recovery codes). Removing the last method revokes
 * trusted devices. Wrong codes count toward the lockout: the one that locks login sends user.action.
 */
export async function disableTwoFactor(scope: Scope, target: Target, code: string, methodId?: string): Promise<void> {
  const { userId } = target;
  const result = await userGuard(scope.env, userId).disable(target, code, scope.now, methodId);
  const { removed, recoveryCode, trustRevoked } = unwrapChecked<Disabled>(scope, target, result);
  if (recoveryCode) emit(scope, { type: "user.two-factor.recovery-code.used", userId, info: { remaining: 0 } });
  for (const method of removed) emit(scope, { type: "user.two-factor.method.remove", userId, info: { method: methodKind(method), source: "disable" } });
  if (trustRevoked) emit(scope, { type: "user.trust.revoked", userId, info: { reason: "two-factor-disabled", count: trustRevoked } });
}

/** Names the method `methodId` (FusionAuth 1.68). */
export async function renameMethod(scope: Scope, target: Target, methodId: string, name: string): Promise<void> {
  unwrapFor(target, await userGuard(scope.env, target.userId).renameMethod(target, methodId, name, scope.now));
}

/** Texts a code to the user (legacy send), asked for by `client`: see UserGuard.sendUserCode. */
export async function textUserCode(scope: Scope, target: Target, client: TextClient): Promise<void> {
  await requireChannel(scope.env, "sms");
  const guard = userGuard(scope.env, target.userId);
  const { send } = unwrapFor(target, await guard.sendUserCode(target, await newOneTimeCodeFor(scope.env, target.userId), scope.now));
  await deliverTo(scope, guard, `user:${target.userId}`, send, client);
}

/**
 * Sends a one-time code (FusionAuth 1.26+ send), asked for by `client`: to `mobilePhone` or `email`
 * to enable a method there, or to the method `methodId` to disable it. Good for 60 seconds, once.
 */
export async function sendOneTimeCode(scope: Scope, target: Target, request: Destination | { methodId: string }, client: TextClient): Promise<void> {
  const purpose: OneTimeCodeTarget = "methodId" in request ? request : { enable: await destinationToEnable(scope, request) };
  const guard = userGuard(scope.env, target.userId);
  const { send } = unwrapFor(target, await guard.sendOneTimeCode(target, await newOneTimeCodeFor(scope.env, target.userId), purpose, scope.now));
  await deliverTo(scope, guard, "methodId" in request ? `user:${target.userId}` : `enable:${target.userId}`, send, client);
}

/** Where a code to enable a method at `address` goes, normalised; a clear 400 first when its channel is not configured. */
async function destinationToEnable(scope: Scope, { method, address }: Destination): Promise<Destination> {
  await requireChannel(scope.env, method);
  return { method, address: method === "sms" ? phoneNumber(scope, address, "mobilePhone") : emailAddress(address, "email") };
}

/** Sends `send` for `purpose` (sends for one purpose to one address are spaced), giving its reservation back when it does not go out. */
async function deliverTo(scope: Scope, guard: UserGuardStub, purpose: string, send: CodeToSend, client: TextClient) {
  const release = (withdrawCode: boolean) => guard.releaseSend(undefined, send, withdrawCode);
  await deliverCode(scope, send, { purpose, phoneField: "user.mobilePhone", lifetimeSeconds: ONE_TIME_CODE_TTL_SECONDS, client }, release);
}

/** Texts the code of a secret that is being enrolled, asked for by `client`, remembered for the SMS window. */
export async function textEnrolmentCode(scope: Scope, mobilePhone: string, key: Uint8Array, client: TextClient): Promise<void> {
  const { env, config, now } = scope;
  const twilio = await requireTwilio(env);
  const step = timeStep(now);
  await rememberEnrolmentCode(env.KV, key, { step, expiresAt: now + config.sms.codeTtlSeconds * 1000 }, now);
  const text = { phone: mobilePhone, code: await hotp(key, step), step };
  await textCode(scope, twilio, { ...text, phoneField: "mobilePhone", purpose: "enrolment", client }, async (withdrawCode) => {
    if (withdrawCode) await forgetEnrolmentCode(env.KV, key, step);
  });
}
