// The legacy two-factor API's operations on a user: a new secret, enable, disable, and texting a
// code (to a user, or to a phone being enrolled). Each change is one call to the user's object.
import { newTotpSecret } from "../crypto/random";
import { hotp } from "../crypto/totp";
import { twoFactorMethod } from "../domain/events";
import type { TextClient } from "../domain/sms-guard";
import { timeStep } from "../domain/totp";
import type { TwoFactorDelivery } from "../domain/user";
import { forgetEnrolmentCode, readEnrolmentCodes, rememberEnrolmentCode } from "../kv/enrolment-codes";
import { userGuard, type Disabled } from "../objects/user-guard";
import { emit } from "./shared/events";
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

/**
 * Disables 2FA with a code or a recovery code; the disable deletes the other recovery codes and
 * revokes trusted devices. Wrong codes count toward the lockout: the one that locks login sends user.action.
 */
export async function disableTwoFactor(scope: Scope, target: Target, code: string): Promise<void> {
  const { userId } = target;
  const result = await userGuard(scope.env, userId).disable(target, code, scope.now);
  const { delivery, recoveryCode, trustRevoked } = unwrapChecked<Disabled>(scope, target, result);
  if (recoveryCode) emit(scope, { type: "user.two-factor.recovery-code.used", userId, info: { remaining: 0 } });
  emit(scope, { type: "user.two-factor.method.remove", userId, info: { method: twoFactorMethod(delivery), source: "disable" } });
  if (trustRevoked) emit(scope, { type: "user.trust.revoked", userId, info: { reason: "two-factor-disabled", count: trustRevoked } });
}

/** Texts the user's current code, asked for by `client`; they need 2FA enabled and a mobile phone. */
export async function textUserCode(scope: Scope, target: Target, client: TextClient): Promise<void> {
  const twilio = await requireTwilio(scope.env);
  const guard = userGuard(scope.env, target.userId);
  const { text } = unwrapFor(target, await guard.textUser(target, scope.now));
  const release = (withdrawCode: boolean) => guard.releaseText(undefined, text.step, withdrawCode);
  await textCode(scope, twilio, { phone: text.phone, code: text.code, phoneField: "user.mobilePhone", purpose: `user:${target.userId}`, client }, release);
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
