// The Login API (REF §7) and its second step, Complete Two Factor Authentication (REF §8).
import { Hono, type Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { ApiError, emptyError, loginPrevented } from "../domain/errors";
import { issueAccessToken } from "../domain/jwt";
import { dummyPasswordHash, verifyPassword } from "../domain/password";
import { loginChallenge, newTwoFactorId } from "../durable/login-challenge";
import { userGuard } from "../durable/user-guard";
import { publicUser, userRepository, type PublicUser } from "../storage/users";
import { requireApiKey } from "./auth";
import type { AppEnv } from "./context";
import { textChallengeCode } from "./two-factor";
import { codeField, fusionAuthId, readJson } from "./validate";

const TRUST_COOKIE = "fusionauth.trust";
const UNKNOWN_LOGIN_DECOYS = 16;

const metaData = z.record(z.string(), z.unknown()).nullish();
const loginOptions = {
  applicationId: fusionAuthId.nullish(),
  ipAddress: z.string().max(64).nullish(),
  noJWT: z.boolean().nullish(),
  metaData,
};
const loginRequest = z.object({
  loginId: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
  twoFactorTrustId: z.string().max(128).nullish(),
  ...loginOptions,
});
const twoFactorLoginRequest = z.object({
  twoFactorId: z.string().min(1).max(128),
  code: codeField,
  trustComputer: z.boolean().nullish(),
  ...loginOptions,
});

function clientIp(c: Context<AppEnv>, bodyIp: string | null | undefined): string | undefined {
  return c.req.header("CF-Connecting-IP") ?? bodyIp ?? c.req.header("X-Forwarded-For")?.split(",")[0]?.trim() ?? undefined;
}

const isExpired = (user: PublicUser, nowMs: number) => user.expiry !== undefined && user.expiry <= nowMs;

/** The 200 of both login steps: the user, and a JWT unless `noJWT`. */
async function loginSucceeded(
  c: Context<AppEnv>,
  user: PublicUser,
  options: { nowMs: number; applicationId?: string | null; noJWT?: boolean | null; twoFactorTrustId?: string },
): Promise<Response> {
  const now = options.nowMs;
  const { config } = c.var;
  const body: Record<string, unknown> = { user: { ...user, lastLoginInstant: now } };
  if (!options.noJWT) {
    if (!c.env.JWT_SIGNING_KEY) throw new Error("JWT_SIGNING_KEY is not configured");
    body.token = await issueAccessToken(user, {
      signingKey: c.env.JWT_SIGNING_KEY,
      issuer: config.jwtIssuer,
      ttlSeconds: config.jwtTtlSeconds,
      applicationId: options.applicationId ?? undefined,
      nowMs: now,
    });
    setCookie(c, "access_token", body.token as string, { httpOnly: true, secure: true, sameSite: "Lax", path: "/", maxAge: config.jwtTtlSeconds });
  }
  if (options.twoFactorTrustId) {
    body.twoFactorTrustId = options.twoFactorTrustId;
    setCookie(c, TRUST_COOKIE, options.twoFactorTrustId, {
      httpOnly: true,
      secure: true,
      sameSite: "Lax",
      path: "/",
      maxAge: config.twoFactorTrustIdTtlSeconds,
    });
  }
  return c.json(body, 200);
}

const loginAuth = (c: Context<AppEnv>, next: () => Promise<void>) =>
  c.var.config.loginRequiresApiKey ? requireApiKey(c, next) : next();

export const loginRoutes = new Hono<AppEnv>()
  .post("/login", loginAuth, async (c) => {
    const request = await readJson(c, loginRequest);
    const { config } = c.var;
    const users = userRepository(c.env.KV);
    const userId = await users.idByLoginId(request.loginId);
    const user = userId ? await users.get(userId) : null;
    if (!user) {
      // Same work as a wrong password (a hash, a guard call that writes), so response time does not
      // reveal which login ids exist. The decoys are spread over a few objects, none of them hot.
      await verifyPassword(request.password, dummyPasswordHash(config.passwordFactor));
      const decoy = `unknown-login:${request.loginId.length % UNKNOWN_LOGIN_DECOYS}`;
      await userGuard(c.env, decoy).checkPassword(false, 0, undefined, Date.now());
      throw emptyError(404);
    }
    const passwordMatches = await verifyPassword(request.password, user.password);
    const now = Date.now();
    if (passwordMatches && isExpired(user, now)) throw emptyError(410);
    const trustId = getCookie(c, TRUST_COOKIE) ?? request.twoFactorTrustId ?? undefined;
    const check = await userGuard(c.env, user.id).checkPassword(passwordMatches, user.passwordLastUpdateInstant, trustId, now);
    if (check.outcome === "prevented") throw loginPrevented(check.prevention);
    if (check.outcome === "wrong-password") throw emptyError(404);
    if (check.outcome === "inactive") throw emptyError(423);
    if (!check.twoFactorRequired) {
      const current = { ...publicUser(user), twoFactorEnabled: check.twoFactor.enabled, twoFactorDelivery: check.twoFactor.delivery };
      return loginSucceeded(c, current, { nowMs: now, applicationId: request.applicationId, noJWT: request.noJWT });
    }

    const twoFactorId = newTwoFactorId();
    await loginChallenge(c.env, twoFactorId)!.create({
      userId: user.id,
      generation: check.twoFactor.generation,
      applicationId: request.applicationId ?? undefined,
      ipAddress: clientIp(c, request.ipAddress),
      metaData: request.metaData ? JSON.stringify(request.metaData) : undefined,
      user: JSON.stringify(publicUser(user)),
      noJWT: request.noJWT ?? false,
      expiresAt: now + config.twoFactorIdTtlSeconds * 1000,
    });
    if (check.twoFactor.delivery === "TextMessage") {
      // The 242 stands even when the text fails: the user can ask for another code (REF §4.3).
      await textChallengeCode(c, twoFactorId).catch((error: unknown) => {
        console.warn(JSON.stringify({ event: "login.sms.failed", requestId: c.var.requestId, status: error instanceof ApiError ? error.status : 500, error: error instanceof ApiError ? undefined : String(error) }));
      });
    }
    return c.json({ twoFactorId }, 242 as 200);
  })
  .post("/two-factor/login", async (c) => {
    const request = await readJson(c, twoFactorLoginRequest);
    const challenge = loginChallenge(c.env, request.twoFactorId);
    if (!challenge) throw emptyError(404);
    const now = Date.now();
    const result = await challenge.complete(request.code, now, request.trustComputer ?? false);
    if (result.outcome === "not-found") throw emptyError(404);
    if (result.outcome === "invalid-code") throw emptyError(421);
    if (result.outcome === "prevented") throw loginPrevented(result.prevention);
    const user = JSON.parse(result.challenge.user) as PublicUser;
    if (isExpired(user, now)) throw emptyError(410);
    return loginSucceeded(c, { ...user, twoFactorEnabled: true, twoFactorDelivery: result.delivery }, {
      nowMs: now,
      applicationId: request.applicationId ?? result.challenge.applicationId,
      noJWT: request.noJWT ?? result.challenge.noJWT,
      twoFactorTrustId: result.trustId,
    });
  });
