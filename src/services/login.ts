// The Login API's two steps (FusionAuth `POST /api/login` and `POST /api/two-factor/login`). Each
// step is one call to the user's Durable Object, which decides everything: the password step also
// needs one KV read (login id → user id), and for a TextMessage user the SMS guard and Twilio.
import type { LoginFailureReason } from "../domain/events";
import { fail, Failure, unwrap, type LoginPrevention } from "../domain/failures";
import { foldRecoveryCode } from "../domain/recovery-codes";
import { openTwoFactorId, sealTwoFactorId } from "../crypto/two-factor-id";
import { networkOf } from "../domain/network";
import type { TextClient } from "../domain/sms-guard";
import type { PublicMethod } from "../domain/methods";
import { invalidTwoFactorId } from "../domain/problems";
import type { PublicUser } from "../domain/user";
import { loginIdName } from "../crypto/login-id-name";
import { loginIndex } from "../kv/users";
import { decoyGuard, userGuard, type UserGuardStub } from "../objects/user-guard";
import type { CodeToSend } from "../objects/user/results";
import { newOneTimeCodeFor } from "./shared/one-time-codes";
import { emit } from "./shared/events";
import { record } from "./shared/metrics";
import type { Scope } from "./shared/scope";
import { deliverCode } from "./shared/deliver";

export type LoginRequest = {
  loginId: string;
  password: string;
  /** From the `fusionauth.trust` cookie or the body. */
  trustId?: string;
  applicationId?: string;
  ipAddress?: string;
  /** Who asked, for the cap on texts per client (see TextRequest.client). */
  textClient: TextClient;
  metaData?: Record<string, unknown>;
  noJWT?: boolean;
};

/**
 * `tokenStamp`: the account's, for the access token (src/domain/account.ts, Guard.tokenStamp).
 * `state`: what Start was given, echoed by the completion.
 */
export type Authenticated = { user: PublicUser; tokenStamp: string; applicationId?: string; noJWT: boolean; trustId?: string; state?: unknown };

/** `methods`: the user's second factors (no secrets), so a 1.26+ client can pick one; legacy clients ignore them. */
export type LoginResult = ({ kind: "authenticated" } & Authenticated) | { kind: "two-factor"; twoFactorId: string; methods: PublicMethod[] };

/** Who a login step's events are about (an unknown login id has none: FusionAuth sends nothing for it). */
type LoginSubject = { userId: string; applicationId?: string; ipAddress?: string };

/** A refused login step: user.login.failed, and user.action when this refusal locked login. */
function loginFailed(scope: Scope, subject: LoginSubject, reason: LoginFailureReason, locked?: LoginPrevention) {
  emit(scope, { type: "user.login.failed", ...subject, info: { reason } });
  if (locked) emit(scope, { type: "user.action", ...subject, info: { action: "prevent-login", reason: locked.reason, expiry: locked.until } });
}

/** The password step: authenticated, or a pending two-factor login (242). */
export async function passwordLogin(scope: Scope, request: LoginRequest): Promise<LoginResult> {
  const { env } = scope;
  const name = await loginIdName(request.loginId);
  const userId = await loginIndex(env.KV).userIdFor(name);
  // An unknown login id gets the same work from a decoy object (see UserGuard.login).
  const guard = userId ? userGuard(env, userId) : await decoyGuard(env, name);
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
    nowMs: scope.now,
  });
  const subject = userId ? { userId, applicationId: request.applicationId, ipAddress: request.ipAddress } : null;
  record(scope, { event: "login", outcome: result.outcome, applicationId: request.applicationId });
  switch (result.outcome) {
    case "wrong-password":
      if (subject) loginFailed(scope, subject, "password", result.locked);
      throw fail({ kind: "not-found" });
    case "prevented":
      if (subject) loginFailed(scope, subject, "locked");
      throw fail({ kind: "prevented", prevention: result.prevention });
    case "expired":
    case "inactive":
      throw fail({ kind: result.outcome });
    case "refused":
      throw fail(result.problem);
    case "authenticated": {
      // With 2FA enabled, only a trusted device skips the code.
      const twoFactor = result.user.twoFactorEnabled ? "trusted" : "not-enabled";
      emit(scope, { type: "user.login.success", user: result.user, ...subject, info: { authenticationType: "PASSWORD", twoFactor } });
      return { kind: "authenticated", user: result.user, tokenStamp: result.tokenStamp, applicationId: request.applicationId, noJWT: request.noJWT ?? false };
    }
    case "challenge": {
      const twoFactorId = await sealTwoFactorId(env.ENCRYPTION_KEY, userId!, result.challengeKey);
      if (result.text) await textLoginCode(scope, guard, userId!, result.challengeKey, result.text, request.textClient);
      return { kind: "two-factor", twoFactorId, methods: result.methods };
    }
  }
}

/** FusionAuth texts a TextMessage user's code during login; the 242 stands when the text fails. */
async function textLoginCode(scope: Scope, guard: UserGuardStub, userId: string, challengeKey: string, text: CodeToSend, client: TextClient): Promise<void> {
  try {
    await sendChallengeCode(scope, guard, userId, challengeKey, text, client);
  } catch (error) {
    // The kind only: Twilio's messages can name the phone number.
    const reason = error instanceof Failure ? error.problem.kind : "unexpected";
    console.warn(JSON.stringify({ event: "login.sms.failed", reason }));
  }
}

/**
 * `POST /api/two-factor/send/{twoFactorId}`, asked for by `client`: a code for a pending login sent
 * to the phone or email method `methodId` (1.26+), or, without one, another text of the legacy code. A
 * `twoFactorId` that names no pending login is 400 with a method (FusionAuth 1.26+), 404 without.
 */
export async function sendLoginCode(scope: Scope, twoFactorId: string, methodId: string | undefined, client: TextClient): Promise<void> {
  const opened = await openTwoFactorId(scope.env.ENCRYPTION_KEY, twoFactorId);
  if (!opened) throw fail(methodId === undefined ? { kind: "not-found" } : invalidTwoFactorId);
  const { userId, challengeKey } = opened;
  const guard = userGuard(scope.env, userId);
  const { send } = unwrap(await guard.sendChallengeCode(challengeKey, methodId, await newOneTimeCodeFor(scope.env, userId), scope.now));
  await sendChallengeCode(scope, guard, userId, challengeKey, send, client);
}

/** Sends a code reserved for the pending login `challengeKey`, giving the reservation back on failure. */
async function sendChallengeCode(
  scope: Scope,
  guard: UserGuardStub,
  userId: string,
  challengeKey: string,
  send: CodeToSend,
  client: TextClient,
): Promise<void> {
  const release = (withdrawCode: boolean) => guard.releaseSend(challengeKey, send, withdrawCode);
  // One purpose per user for login codes: back-to-back logins or resends are spaced like resends.
  const delivery = { purpose: `login:${userId}`, phoneField: "user.mobilePhone", lifetimeSeconds: scope.config.twoFactorIdTtlSeconds, client };
  await deliverCode(scope, send, delivery, release);
}

/** The pending login a `twoFactorId` names, or 404 for anything that cannot be one of ours. */
async function pendingLogin(env: Env, twoFactorId: string): Promise<{ userId: string; challengeKey: string }> {
  const opened = await openTwoFactorId(env.ENCRYPTION_KEY, twoFactorId);
  if (!opened) throw fail({ kind: "not-found" });
  return opened;
}

/** The second step: the code for a pending login, from `ipAddress`. */
export async function twoFactorLogin(
  scope: Scope,
  request: { twoFactorId: string; code: string; trustComputer: boolean; ipAddress?: string },
): Promise<Authenticated> {
  const { userId, challengeKey } = await pendingLogin(scope.env, request.twoFactorId);
  const result = await userGuard(scope.env, userId).completeLogin(challengeKey, request.code, request.trustComputer, scope.now);
  const subject = { userId, ipAddress: request.ipAddress };
  record(scope, {
    event: "code",
    outcome: result.outcome,
    ...(result.outcome === "accepted" && { method: usedMethod(result), applicationId: result.applicationId }),
  });
  switch (result.outcome) {
    case "accepted": {
      const { user, applicationId, trustId } = result;
      const twoFactor = result.recoveryCode ? "recovery-code" : "code";
      emit(scope, {
        type: "user.login.success",
        user,
        applicationId,
        ipAddress: request.ipAddress,
        info: { authenticationType: "PASSWORD", twoFactor },
      });
      if (result.recoveryCode) {
        const remaining = user.twoFactorRecoveryCodesRemaining ?? 0;
        emit(scope, { type: "user.two-factor.recovery-code.used", ...subject, applicationId, info: { remaining } });
      }
      if (trustId) {
        const expiry = scope.now + scope.config.twoFactorTrustIdTtlSeconds * 1000;
        emit(scope, { type: "user.trust.issued", ...subject, applicationId, info: { expiry } });
      }
      const state = result.state === undefined ? undefined : (JSON.parse(result.state) as unknown);
      return { user, tokenStamp: result.tokenStamp, applicationId, noJWT: result.noJWT, trustId, state };
    }
    case "prevented":
      loginFailed(scope, subject, "locked");
      throw fail({ kind: "prevented", prevention: result.prevention });
    case "invalid-code": {
      // A wrong code shaped like a recovery code was tried as one (the object checked it against those).
      const reason = foldRecoveryCode(request.code) ? "recovery-code" : "two-factor-code";
      loginFailed(scope, subject, reason, result.locked);
      throw fail({ kind: "invalid-code", nextCodeAt: result.nextCodeAt });
    }
    case "refused":
      throw fail(result.problem);
    default:
      throw fail({ kind: result.outcome });
  }
}

/** The kind of method that completed a login: a recovery code, or the method now `lastUsed`. */
function usedMethod(accepted: { recoveryCode: boolean; user: PublicUser }): string {
  if (accepted.recoveryCode) return "recovery-code";
  return accepted.user.twoFactor?.methods?.find((method) => method.lastUsed)?.method ?? "";
}

/** What Start answers: the code to deliver (the caller's, or one made), the pending login, and the user's methods. */
export type StartedLogin = { code: string; twoFactorId: string; methods: PublicMethod[] };

/**
 * FusionAuth Start (`POST /api/two-factor/start`): a pending login without a password, for step-up;
 * completed with `POST /api/two-factor/login` by the code (the caller's own, or one made here for the
 * caller to deliver), a code of any of the user's methods, or a recovery code.
 */
export async function startTwoFactor(
  scope: Scope,
  request: { userId?: string; loginId?: string; applicationId?: string; code?: string; state?: Record<string, unknown> },
): Promise<StartedLogin> {
  const { env } = scope;
  const userId = request.userId ?? (request.loginId ? await loginIndex(env.KV).userIdFor(await loginIdName(request.loginId)) : null);
  if (!userId) throw fail({ kind: "not-found" });
  const otp = await newOneTimeCodeFor(env, userId, request.code);
  const details = { applicationId: request.applicationId, noJWT: false, familiar: false };
  const state = request.state === undefined ? undefined : JSON.stringify(request.state);
  const { challengeKey, methods } = unwrap(await userGuard(env, userId).start(details, otp, state, scope.now));
  return { code: otp.code, twoFactorId: await sealTwoFactorId(env.ENCRYPTION_KEY, userId, challengeKey), methods };
}
