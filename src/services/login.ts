// The Login API's two steps (FusionAuth `POST /api/login` and `POST /api/two-factor/login`). Each
// step is one call to the user's Durable Object, which decides everything: the password step also
// needs one KV read (login id → user id), and for a TextMessage user the SMS guard and Twilio.
import type { Config } from "../domain/config";
import { fail, Failure, unwrap } from "../domain/failures";
import { openTwoFactorId, sealTwoFactorId } from "../domain/two-factor-id";
import { networkOf } from "../domain/network";
import { loginIdName, type PublicUser } from "../domain/user";
import { loginIndex } from "../kv/users";
import { decoyGuard, userGuard, type TextedCode, type UserGuardStub } from "../objects/user-guard";
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

/** The password step: authenticated, or a pending two-factor login (242). */
export async function passwordLogin(env: Env, config: Config, request: LoginRequest, nowMs: number): Promise<LoginResult> {
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
  switch (result.outcome) {
    case "wrong-password":
      throw fail({ kind: "not-found" });
    case "prevented":
      throw fail({ kind: "prevented", prevention: result.prevention });
    case "expired":
    case "inactive":
      throw fail({ kind: result.outcome });
    case "authenticated":
      return { kind: "authenticated", user: result.user, applicationId: request.applicationId, noJWT: request.noJWT ?? false };
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

/** The second step: the code for a pending login. */
export async function twoFactorLogin(env: Env, request: { twoFactorId: string; code: string; trustComputer: boolean }, nowMs: number): Promise<Authenticated> {
  const { userId, challengeKey } = await pendingLogin(env, request.twoFactorId);
  const result = await userGuard(env, userId).completeLogin(challengeKey, request.code, request.trustComputer, nowMs);
  switch (result.outcome) {
    case "accepted":
      return { user: result.user, applicationId: result.applicationId, noJWT: result.noJWT, trustId: result.trustId };
    case "prevented":
      throw fail({ kind: "prevented", prevention: result.prevention });
    case "invalid-code":
      throw fail({ kind: "invalid-code", nextCodeAt: result.nextCodeAt });
    default:
      throw fail({ kind: result.outcome });
  }
}
