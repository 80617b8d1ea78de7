// The Login API (`POST /api/login`) and its second step, Complete Two Factor Authentication
// (`POST /api/two-factor/login`), as FusionAuth documents them.
import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import { passwordLogin, twoFactorLogin, type Authenticated } from "../services/login";
import { connectingIp, endUserIp, textClient } from "./http/client-ip";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { fromAnotherSite } from "./http/origin";
import { issueAccessToken } from "./http/jwt";
import { loginRequest, tenantHeader, twoFactorLoginRequest } from "./http/requests";
import { readJson } from "./http/validate";

const TRUST_COOKIE = "fusionauth.trust";

/**
 * A login cookie: `value` is a JWT or a trust id, Base64URL and dots only, so it needs no encoding;
 * the attributes are fixed (RFC 6265 §4.1).
 */
const loginCookie = (name: string, value: string, maxAgeSeconds: number) =>
  `${name}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; Secure; SameSite=Lax`;

/**
 * The 200 of both login steps: the user, a JWT unless `noJWT`, and the trust id when one was issued;
 * as cookies too, unless a page of another site called (it could log the browser in as its own user).
 */
async function loginSucceeded(c: Context<AppEnv>, login: Authenticated): Promise<Response> {
  const { config, now } = c.var.scope;
  const setCookies = !fromAnotherSite(c);
  const body: Record<string, unknown> = { user: login.user };
  if (!login.noJWT) {
    if (!c.env.JWT_SIGNING_KEY) throw new Error("JWT_SIGNING_KEY is not configured");
    const token = await issueAccessToken(login.user, {
      signingKey: c.env.JWT_SIGNING_KEY,
      issuer: config.jwtIssuer,
      ttlSeconds: config.jwtTtlSeconds,
      applicationId: login.applicationId,
      tokenStamp: login.tokenStamp,
      nowMs: now,
    });
    body.token = token;
    if (setCookies) c.header("Set-Cookie", loginCookie("access_token", token, config.jwtTtlSeconds), { append: true });
  }
  if (login.trustId) {
    body.twoFactorTrustId = login.trustId;
    if (setCookies) c.header("Set-Cookie", loginCookie(TRUST_COOKIE, login.trustId, config.twoFactorTrustIdTtlSeconds), { append: true });
  }
  if (login.state !== undefined) body.state = login.state;
  return c.json(body, 200);
}

export const loginRoutes = new Hono<AppEnv>();

endpoint(
  loginRoutes,
  {
    method: "post",
    path: "/login",
    summary: "Log in",
    security: "login",
    headers: tenantHeader,
    body: loginRequest,
    responses: {
      200: "loggedIn",
      242: "twoFactorRequired",
      400: "errors",
      404: "wrongPassword",
      409: "prevented",
      410: "userExpired",
      423: "userDeactivated",
    },
  },
  async (c) => {
    const request = await readJson(c, loginRequest);
    const result = await passwordLogin(c.var.scope, {
      loginId: request.loginId,
      password: request.password,
      trustId: getCookie(c, TRUST_COOKIE) ?? request.twoFactorTrustId ?? undefined,
      applicationId: request.applicationId ?? undefined,
      ipAddress: endUserIp(c, request.ipAddress) ?? connectingIp(c),
      textClient: textClient(c, request.ipAddress),
      metaData: request.metaData ?? undefined,
      noJWT: request.noJWT ?? undefined,
    });
    if (result.kind === "two-factor") return c.json({ twoFactorId: result.twoFactorId, methods: result.methods }, 242 as 200);
    return loginSucceeded(c, result);
  },
);

endpoint(
  loginRoutes,
  {
    method: "post",
    path: "/two-factor/login",
    summary: "Complete a two-factor login",
    security: "optionalApiKey",
    body: twoFactorLoginRequest,
    responses: { 200: "twoFactorLoggedIn", 400: "errors", 404: "unknownTwoFactorId", 409: "prevented", 410: "userExpired", 421: "invalidCode" },
  },
  async (c) => {
    const request = await readJson(c, twoFactorLoginRequest);
    const login = await twoFactorLogin(c.var.scope, {
      twoFactorId: request.twoFactorId,
      code: request.code,
      trustComputer: request.trustComputer ?? false,
      ipAddress: endUserIp(c, request.ipAddress),
    });
    // The token is the password step's: its applicationId (the JWT `aud`) and noJWT, kept with the
    // pending login. This call needs no API key, so whoever holds the twoFactorId and a code may not
    // pick another audience or ask for a token the API-key caller declined; this step's
    // `applicationId` and `noJWT` are accepted (FusionAuth documents them as optional) and ignored.
    return loginSucceeded(c, login);
  },
);
