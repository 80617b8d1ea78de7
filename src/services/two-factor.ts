// The legacy two-factor API's operations on a user: enable, disable, and texting a code (to a
// user, during a login, or to a phone being enrolled). Each is one call to the user's object.
import type { Config } from "../domain/config";
import { timeStep } from "../domain/totp";
import { hotp } from "../crypto/totp";
import { newTotpSecret } from "../crypto/random";
import { twoFactorMethod } from "../domain/events";
import type { TwoFactorDelivery } from "../domain/user";
import { forgetEnrolmentCode, readEnrolmentCodes, rememberEnrolmentCode } from "../kv/enrolment-codes";
import { userGuard, type Disabled } from "../objects/user-guard";
import { emit, type Background } from "./shared/events";
import { requireTwilio, textCode } from "./shared/sms";
import { unwrapFor, type Target } from "./shared/target";

/** A new secret for an authenticator app (`GET /api/two-factor/secret`). */
export const newSecret = () => newTotpSecret();

export async function enableTwoFactor(
  env: Env,
  target: Target,
  request: { key: Uint8Array; code: string; delivery: TwoFactorDelivery },
  nowMs: number,
  background: Background,
): Promise<void> {
  const smsCodes = await readEnrolmentCodes(env.KV, request.key);
  unwrapFor(target, await userGuard(env, target.userId).enable(target, request.key, request.code, request.delivery, nowMs, smsCodes));
  const info = { method: twoFactorMethod(request.delivery), source: "enable" } as const;
  emit(env, background, { type: "user.two-factor.method.add", userId: target.userId, info });
}

/**
 * Disables 2FA with a code or a recovery code; the disable deletes the other recovery codes and
 * revokes trusted devices. Wrong codes count toward the lockout: the one that locks login sends user.action.
 */
export async function disableTwoFactor(env: Env, target: Target, code: string, nowMs: number, background: Background): Promise<void> {
  const { userId } = target;
  const result = await userGuard(env, userId).disable(target, code, nowMs);
  if (!result.ok && "locked" in result) {
    const { reason, until } = result.locked;
    emit(env, background, { type: "user.action", userId, info: { action: "prevent-login", reason, expiry: until } });
  }
  const { delivery, recoveryCode, trustRevoked } = unwrapFor<Disabled>(target, result);
  if (recoveryCode) emit(env, background, { type: "user.two-factor.recovery-code.used", userId, info: { remaining: 0 } });
  emit(env, background, { type: "user.two-factor.method.remove", userId, info: { method: twoFactorMethod(delivery), source: "disable" } });
  if (trustRevoked) emit(env, background, { type: "user.trust.revoked", userId, info: { reason: "two-factor-disabled", count: trustRevoked } });
}

/** Texts the user's current code; they need 2FA enabled and a mobile phone. */
export async function textUserCode(env: Env, config: Config, target: Target): Promise<void> {
  const twilio = await requireTwilio(env);
  const guard = userGuard(env, target.userId);
  const { text } = unwrapFor(target, await guard.textUser(target, Date.now()));
  const release = (withdrawCode: boolean) => guard.releaseText(undefined, text.step, withdrawCode);
  await textCode(env, config, twilio, { phone: text.phone, code: text.code, phoneField: "user.mobilePhone", purpose: `user:${target.userId}` }, release);
}

/** Texts the code of a secret that is being enrolled, remembered for the SMS window. */
export async function textEnrolmentCode(env: Env, config: Config, mobilePhone: string, key: Uint8Array): Promise<void> {
  const twilio = await requireTwilio(env);
  const now = Date.now();
  const step = timeStep(now);
  await rememberEnrolmentCode(env.KV, key, { step, expiresAt: now + config.sms.codeTtlSeconds * 1000 }, now);
  const text = { phone: mobilePhone, code: await hotp(key, step), step };
  await textCode(env, config, twilio, { ...text, phoneField: "mobilePhone", purpose: "enrolment" }, async (withdrawCode) => {
    if (withdrawCode) await forgetEnrolmentCode(env.KV, key, step);
  });
}
