// The legacy two-factor API (REF §3–§6): generate a secret, text a code, enable and disable 2FA
// for a user by id (API key) or for the JWT's user.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { emptyError, fieldError, generalError, loginPrevented } from "../domain/errors";
import { generateSecret, keyFromBase32, keyFromSecret } from "../domain/secret";
import { hotp, timeStep } from "../domain/totp";
import { loginChallenge } from "../durable/login-challenge";
import { userGuard, type CodeCheck, type EnableResult } from "../durable/user-guard";
import { textCode, tooManySends } from "../sms/two-factor-sms";
import { loadAccount } from "../storage/accounts";
import { forgetEnrolmentCode, readEnrolmentCodes, rememberEnrolmentCode } from "../storage/enrolment-codes";
import { userRepository, type UserRecord } from "../storage/users";
import { requireApiKeyOrJwt } from "./auth";
import type { AppEnv } from "./context";
import { empty } from "./respond";
import { check, codeField, fusionAuthId, idParam, readJson } from "./validate";

const enableRequest = z.object({
  code: codeField,
  secret: z.string().trim().max(256).nullish(),
  secretBase32Encoded: z.string().trim().max(512).nullish(),
  delivery: z.enum(["None", "TextMessage"]).nullish(),
});

const sendRequest = z.object({
  userId: fusionAuthId.nullish(),
  mobilePhone: z.string().trim().max(64).nullish(),
  secret: z.string().trim().max(256).nullish(),
});

/** The user a call acts on: the `userId` (path, query or body) with an API key, the JWT's subject otherwise. */
async function targetUser(c: Context<AppEnv>, bodyUserId?: string | null): Promise<UserRecord> {
  const auth = c.var.auth;
  const requested = c.req.param("userId") ?? c.req.query("userId") ?? bodyUserId ?? undefined;
  let userId: string;
  if (auth.kind === "jwt") {
    userId = auth.userId;
  } else {
    if (!requested) throw fieldError("userId", "blank", "The [userId] is required when calling with an API key.");
    userId = idParam("userId", requested);
  }
  const user = await loadAccount(c.env, userId);
  if (!user) throw emptyError(auth.kind === "jwt" ? 401 : 404);
  return user;
}

/** Maps a guard's verdict on a code: 421 for a wrong one, 409 while login is prevented. */
function requireAccepted(result: CodeCheck | EnableResult): void {
  if (result.outcome === "invalid-code") throw emptyError(421);
  if (result.outcome === "prevented") throw loginPrevented(result.prevention);
}

function secretKey(secret: string): Uint8Array {
  const key = keyFromSecret(secret);
  if (!key) throw fieldError("secret", "invalid", "The [secret] must be Base64 and decode to at least 10 bytes (80 bits).");
  return key;
}

function keyFromRequest(request: z.output<typeof enableRequest>): Uint8Array {
  if (request.secret) return secretKey(request.secret);
  if (request.secretBase32Encoded) {
    const key = keyFromBase32(request.secretBase32Encoded);
    if (!key) throw fieldError("secretBase32Encoded", "invalid", "The [secretBase32Encoded] must be Base32 and decode to at least 10 bytes (80 bits).");
    return key;
  }
  throw fieldError("secret", "blank", "The [secret] or [secretBase32Encoded] property is required.");
}

async function enable(c: Context<AppEnv>): Promise<Response> {
  const user = await targetUser(c);
  const request = await readJson(c, enableRequest);
  const key = keyFromRequest(request);
  const delivery = request.delivery ?? "None";
  if (delivery === "TextMessage" && !user.mobilePhone) {
    throw fieldError("user.mobilePhone", "blank", "The user needs a [mobilePhone] to use TextMessage delivery.");
  }
  const smsCodes = await readEnrolmentCodes(c.env.KV, key);
  const result = await userGuard(c.env, user.id).enableTwoFactor(key, request.code, delivery, Date.now(), smsCodes);
  if (result.outcome === "already-enabled") {
    throw generalError("TwoFactorEnabled", "Two factor authentication is already enabled for this user. Disable it before enabling it again.");
  }
  requireAccepted(result);
  if (result.outcome === "enabled") {
    await userRepository(c.env.KV).put({ ...user, twoFactorEnabled: true, twoFactorDelivery: delivery, twoFactorSecret: result.secret });
  }
  return empty();
}

async function disable(c: Context<AppEnv>): Promise<Response> {
  const user = await targetUser(c);
  const { code } = check(z.object({ code: codeField }), { code: c.req.query("code") });
  const result = await userGuard(c.env, user.id).disableTwoFactor(code, Date.now());
  if (result.outcome === "not-enabled") {
    throw generalError("TwoFactorNotEnabled", "Two factor authentication is not enabled for this user.");
  }
  requireAccepted(result);
  await userRepository(c.env.KV).put({ ...user, twoFactorEnabled: false, twoFactorDelivery: "None", twoFactorSecret: undefined });
  return empty();
}

/** Texts the user's current code; they need 2FA enabled and a mobile phone (REF §4.2, §4.4). */
async function textUserCode(c: Context<AppEnv>, user: UserRecord, purpose: string): Promise<void> {
  if (!user.twoFactorEnabled) throw generalError("TwoFactorNotEnabled", "Two factor authentication is not enabled for this user.");
  if (!user.mobilePhone) throw fieldError("user.mobilePhone", "blank", "The user has no [mobilePhone] to send a code to.");
  const guard = userGuard(c.env, user.id);
  await textCode(c.env, c.var.config, { phone: user.mobilePhone, phoneField: "user.mobilePhone", purpose }, async () => {
    const sent = await guard.smsCode(Date.now());
    if (!sent) throw generalError("TwoFactorNotEnabled", "Two factor authentication is not enabled for this user.");
    return { code: sent.code, forget: () => guard.forgetSmsCode(sent.step) };
  });
}

/** Texts the code of a secret that is being enrolled (REF §4.1), remembered for the SMS window. */
async function textEnrolmentCode(c: Context<AppEnv>, mobilePhone: string, secret: string | null | undefined): Promise<void> {
  if (!secret) throw fieldError("secret", "blank", "The [secret] is required with [mobilePhone].");
  const key = secretKey(secret);
  await textCode(c.env, c.var.config, { phone: mobilePhone, phoneField: "mobilePhone", purpose: "enrolment" }, async () => {
    const now = Date.now();
    const step = timeStep(now);
    await rememberEnrolmentCode(c.env.KV, key, { step, expiresAt: now + c.var.config.sms.codeTtlSeconds * 1000 }, now);
    return { code: await hotp(key, step), forget: () => forgetEnrolmentCode(c.env.KV, key, step) };
  });
}

/** Texts the code for a pending login; also used by the Login API for TextMessage users. */
export async function textChallengeCode(c: Context<AppEnv>, twoFactorId: string): Promise<void> {
  const challenge = loginChallenge(c.env, twoFactorId);
  if (!challenge) throw emptyError(404);
  const reservation = await challenge.reserveSend(Date.now());
  if (reservation.outcome === "not-found") throw emptyError(404);
  if (reservation.outcome === "limited") throw tooManySends(reservation.retryAfterSeconds);
  try {
    const user = await loadAccount(c.env, reservation.userId);
    if (!user) throw emptyError(404);
    // One purpose per user for login texts: back-to-back logins or resends are spaced like resends.
    await textUserCode(c, user, `login:${user.id}`);
  } catch (error) {
    await challenge.releaseSend();
    throw error;
  }
}

export const twoFactorRoutes = new Hono<AppEnv>()
  .get("/two-factor/secret", requireApiKeyOrJwt, (c) => c.json(generateSecret()))
  .post("/two-factor/send", requireApiKeyOrJwt, async (c) => {
    const request = await readJson(c, sendRequest);
    if (c.var.auth.kind === "apiKey" && request.mobilePhone) await textEnrolmentCode(c, request.mobilePhone, request.secret);
    else if (c.var.auth.kind === "apiKey" && !request.userId) throw fieldError("userId", "blank", "Send either [userId], or [mobilePhone] and [secret].");
    else {
      const user = await targetUser(c, request.userId);
      await textUserCode(c, user, `user:${user.id}`);
    }
    return empty();
  })
  // During login, without authentication: the twoFactorId is the credential (REF §4.3).
  .post("/two-factor/send/:twoFactorId", async (c) => {
    await textChallengeCode(c, c.req.param("twoFactorId"));
    return empty();
  })
  // FusionAuth documents POST; its tutorials use PUT. Both work.
  .on(["POST", "PUT"], ["/user/two-factor/:userId", "/user/two-factor"], requireApiKeyOrJwt, enable)
  // The documented path form, and the query form the official client sends (REF §6).
  .delete("/user/two-factor/:userId", requireApiKeyOrJwt, disable)
  .delete("/user/two-factor", requireApiKeyOrJwt, disable);
