// The Login API's two steps (FusionAuth `POST /api/login` and `POST /api/two-factor/login`). Each
// step is one call to the user's Durable Object, which decides everything: the password step also
// needs one KV read (login id → user id), and for a TextMessage user the SMS guard and Twilio.
import type { Config } from "../domain/config";
import type { LoginFailureReason } from "../domain/events";
import { fail, Failure, unwrap, type LoginPrevention } from "../domain/failures";
import { foldRecoveryCode } from "../domain/recovery-codes";
import { openTwoFactorId, sealTwoFactorId } from "../crypto/two-factor-id";
import { networkOf } from "../domain/network";
import type { PublicUser } from "../domain/user";
import { loginIdName } from "../crypto/login-id-name";
import { loginIndex } from "../kv/users";
import { decoyGuard, userGuard, type TextedCode, type UserGuardStub } from "../objects/user-guard";
import { emit, type Background } from "./shared/events";
import { requireTwilio, textCode } from "./shared/sms";

export type LoginRequest = {
  loginId: string;
  password: string;
  /** From the `fusionauth.trust` cookie or the body. */
  trustId?: string;
  applicationId?: string;
  ipAddress?: string;
  /** The end user's address when known, for the cap on texts per client (see TextRequest.clientIp). */
  textClientIp?: string;
  metaData?: Record<string, unknown>;
  noJWT?: boolean;
};

export type Authenticated = { user: PublicUser; applicationId?: string; noJWT: boolean; trustId?: string };

export type LoginResult = ({ kind: "authenticated" } & Authenticated) | { kind: "two-factor"; twoFactorId: string };

/** Who a login step's events are about (an unknown login id has none: FusionAuth sends nothing for it). */
type LoginSubject = { userId: string; applicationId?: string; ipAddress?: string };

/** A refused login step: user.login.failed, and user.action when this refusal locked login. */
function loginFailed(env: Env, background: Background, subject: LoginSubject, reason: LoginFailureReason, locked?: LoginPrevention) {
  emit(env, background, { type: "user.login.failed", ...subject, info: { reason } });
  if (locked) emit(env, background, { type: "user.action", ...subject, info: { action: "prevent-login", reason: locked.reason, expiry: locked.until } });
}

/** The password step: authenticated, or a pending two-factor login (242). Its events go out through `background`. */
export async function passwordLogin(env: Env, config: Config, request: LoginRequest, nowMs: number, background: Background): Promise<LoginResult> {
  const name = await loginIdName(request.loginId);
  const userId = await loginIndex(env.KV).userIdFor(name);
  // An unknown login id gets the same work from an object of its own (see UserGuard.login).
  const guard = userId ? userGuard(env, userId) : decoyGuard(env, name);
  const result = await guard.login({
    loginId: request.loginId,
    password: request.password,
    trustId: request.trustId,
    details: {
      applicationId: request.applicationId,
      ipAddress: request.ipAddress,
      metaData: request.metaData ? JSON.stringify(request.metaData) : undefined,
      noJWT: request.noJWT ?? false,
    },
    network: networkOf(request.ipAddress),
    nowMs,
  });
  const subject = userId ? { userId, applicationId: request.applicationId, ipAddress: request.ipAddress } : null;
  switch (result.outcome) {
    case "wrong-password":
      if (subject) loginFailed(env, background, subject, "password", result.locked);
      throw fail({ kind: "not-found" });
    case "prevented":
      if (subject) loginFailed(env, background, subject, "locked");
      throw fail({ kind: "prevented", prevention: result.prevention });
    case "expired":
    case "inactive":
      throw fail({ kind: result.outcome });
    case "authenticated": {
      // With 2FA enabled, only a trusted device skips the code.
      const twoFactor = result.user.twoFactorEnabled ? "trusted" : "not-enabled";
      emit(env, background, { type: "user.login.success", user: result.user, ...subject, info: { authenticationType: "PASSWORD", twoFactor } });
      return { kind: "authenticated", user: result.user, applicationId: request.applicationId, noJWT: request.noJWT ?? false };
    }
    case "challenge": {
      const twoFactorId = await sealTwoFactorId(env.ENCRYPTION_KEY, userId!, result.challengeKey);
      if (result.text) await textLoginCode(env, config, guard, userId!, result.challengeKey, result.text, request.textClientIp);
      return { kind: "two-factor", twoFactorId };
    }
  }
}

/** FusionAuth texts a TextMessage user's code during login; the 242 stands when the text fails. */
async function textLoginCode(
  env: Env,
  config: Config,
  guard: UserGuardStub,
  userId: string,
  challengeKey: string,
  text: TextedCode,
  clientIp: string | undefined,
): Promise<void> {
  try {
    await textChallengeCode(env, config, guard, userId, challengeKey, text, clientIp);
  } catch (error) {
    // The kind only: Twilio's messages can name the phone number.
    const reason = error instanceof Failure ? error.problem.kind : "unexpected";
    console.warn(JSON.stringify({ event: "login.sms.failed", reason }));
  }
}

/** `POST /api/two-factor/send/{twoFactorId}`: another text of the code for a pending login, asked for by `clientIp`. */
export async function resendLoginCode(env: Env, config: Config, twoFactorId: string, clientIp?: string): Promise<void> {
  const { userId, challengeKey } = await pendingLogin(env, twoFactorId);
  const guard = userGuard(env, userId);
  const { text } = unwrap(await guard.textChallenge(challengeKey, Date.now()));
  await textChallengeCode(env, config, guard, userId, challengeKey, text, clientIp);
}

/** Texts a code reserved for the pending login `challengeKey`, giving the reservation back on failure. */
async function textChallengeCode(
  env: Env,
  config: Config,
  guard: UserGuardStub,
  userId: string,
  challengeKey: string,
  text: TextedCode,
  clientIp: string | undefined,
): Promise<void> {
  const release = (withdrawCode: boolean) => guard.releaseText(challengeKey, text.step, withdrawCode);
  const twilio = await requireTwilio(env).catch(async (error: unknown) => {
    await release(true);
    throw error;
  });
  // One purpose per user for login texts: back-to-back logins or resends are spaced like resends.
  await textCode(env, config, twilio, { phone: text.phone, phoneField: "user.mobilePhone", purpose: `login:${userId}`, code: text.code, clientIp }, release);
}

/** The pending login a `twoFactorId` names, or 404 for anything that cannot be one of ours. */
async function pendingLogin(env: Env, twoFactorId: string): Promise<{ userId: string; challengeKey: string }> {
  const opened = await openTwoFactorId(env.ENCRYPTION_KEY, twoFactorId);
  if (!opened) throw fail({ kind: "not-found" });
  return opened;
}

/** The second step: the code for a pending login, from `ipAddress`. Its events go out through `background`. */
export async function twoFactorLogin(
  env: Env,
  config: Config,
  request: { twoFactorId: string; code: string; trustComputer: boolean; ipAddress?: string },
  nowMs: number,
  background: Background,
): Promise<Authenticated> {
  const { userId, challengeKey } = await pendingLogin(env, request.twoFactorId);
  const result = await userGuard(env, userId).completeLogin(challengeKey, request.code, request.trustComputer, nowMs);
  const subject = { userId, ipAddress: request.ipAddress };
  switch (result.outcome) {
    case "accepted": {
      const { user, applicationId, trustId } = result;
      const twoFactor = result.recoveryCode ? "recovery-code" : "code";
      emit(env, background, {
        type: "user.login.success",
        user,
        applicationId,
        ipAddress: request.ipAddress,
        info: { authenticationType: "PASSWORD", twoFactor },
      });
      if (result.recoveryCode) {
        const remaining = user.twoFactorRecoveryCodesRemaining ?? 0;
        emit(env, background, { type: "user.two-factor.recovery-code.used", ...subject, applicationId, info: { remaining } });
      }
      if (trustId) {
        const expiry = nowMs + config.twoFactorTrustIdTtlSeconds * 1000;
        emit(env, background, { type: "user.trust.issued", ...subject, applicationId, info: { expiry } });
      }
      return { user, applicationId, noJWT: result.noJWT, trustId };
    }
    case "prevented":
      loginFailed(env, background, subject, "locked");
      throw fail({ kind: "prevented", prevention: result.prevention });
    case "invalid-code": {
      // A wrong code shaped like a recovery code was tried as one (the object checked it against those).
      const reason = foldRecoveryCode(request.code) ? "recovery-code" : "two-factor-code";
      loginFailed(env, background, subject, reason, result.locked);
      throw fail({ kind: "invalid-code", nextCodeAt: result.nextCodeAt });
    }
    default:
      throw fail({ kind: result.outcome });
  }
}
