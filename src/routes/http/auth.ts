// API keys (`Authorization: <key>`), export keys (the export only) and JWTs (`Authorization: Bearer|JWT <token>` or the
// `access_token` cookie). An API key wins over a cookie, as in FusionAuth. A JWT must be signed by
// us and still carry its account's token stamp. Failures are an empty 401.
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { secretsEqual } from "../../crypto/compare";
import { fail } from "../../domain/failures";
import { tokenAccepted } from "../../services/access-tokens";
import { verifyAccessToken } from "./jwt";
import type { AppEnv, Auth } from "./context";
import { fromAnotherSite, hasNonJsonBody } from "./origin";

const MAX_AUTHORIZATION_LENGTH = 8192;
const JWT_SCHEME = /^(?:Bearer|JWT)\s+(\S+)$/i;

/** Whether `presented` is one of the comma-separated keys of `setting` (API_KEYS, EXPORT_KEYS). */
async function isKeyOf(setting: string | undefined, presented: string): Promise<boolean> {
  const keys = (setting ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
  const matches = await Promise.all(keys.map((key) => secretsEqual(presented, key)));
  return matches.includes(true);
}

/**
 * The caller, or null. A JWT's token stamp is checked with one call to the user's object, unless
 * `stampCheckedLater`: the handler's own call to that object checks it (src/domain/account.ts,
 * accountFor), so a request with a token makes one call, not two.
 */
async function authenticate(c: Context<AppEnv>, allowJwt: boolean, stampCheckedLater = false): Promise<Auth | null> {
  const header = c.req.header("Authorization")?.trim();
  if (header && header.length > MAX_AUTHORIZATION_LENGTH) return null;
  if (header && (await isKeyOf(c.env.API_KEYS, header))) return { kind: "apiKey" };
  if (!allowJwt) return null;
  const token = header ? JWT_SCHEME.exec(header)?.[1] : cookieToken(c);
  if (!token || !c.env.JWT_SIGNING_KEY) return null;
  const verified = await verifyAccessToken(token, c.env.JWT_SIGNING_KEY, c.var.scope.config.jwtIssuer);
  if (!verified) return null;
  if (!stampCheckedLater && !(await tokenAccepted(c.var.scope, verified.userId, verified.tokenStamp))) return null;
  return { kind: "jwt", ...verified };
}

/**
 * The access_token cookie, which a browser sends with requests that other sites' pages make: it is a
 * credential only for JSON requests from this service's own origin (a form or a `text/plain` fetch
 * from elsewhere needs no CORS preflight, https://fetch.spec.whatwg.org/#cors-safelisted-request-header).
 */
function cookieToken(c: Context<AppEnv>): string | undefined {
  const token = getCookie(c, "access_token");
  if (!token) return undefined;
  if (fromAnotherSite(c)) throw fail({ kind: "cross-site" });
  if (hasNonJsonBody(c)) throw fail({ kind: "not-json" });
  return token;
}

function requireAuth(allowJwt: boolean, stampCheckedLater = false) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const auth = await authenticate(c, allowJwt, stampCheckedLater);
    if (!auth) throw fail({ kind: "unauthorized" });
    c.set("auth", auth);
    await next();
  });
}

export const requireApiKey = requireAuth(false);
export const requireApiKeyOrJwt = requireAuth(true);
/** As requireApiKeyOrJwt, for handlers whose every JWT path makes its one call to the token's user's object with the stamp (see `target`). */
export const requireApiKeyOrJwtCheckedByObject = requireAuth(true, true);

/** Where an API key is optional: a request may send none, but one it sends must be valid (its body's `ipAddress` is then believed). */
export const optionalApiKey = createMiddleware<AppEnv>((c, next) => (c.req.header("Authorization")?.trim() ? requireApiKey(c, next) : next()));

/** `POST /api/login`: an API key, unless LOGIN_REQUIRES_API_KEY is false (then optional). */
export const loginAuth = createMiddleware<AppEnv>((c, next) => (c.var.scope.config.loginRequiresApiKey ? requireApiKey : optionalApiKey)(c, next));

/**
 * The export (every user's secrets): only a key of EXPORT_KEYS, which opens nothing else; none is
 * accepted while EXPORT_KEYS is unset, and an API key is refused like a wrong key (401).
 */
export const requireExportKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization")?.trim();
  if (!header || header.length > MAX_AUTHORIZATION_LENGTH || !(await isKeyOf(c.env.EXPORT_KEYS, header))) throw fail({ kind: "unauthorized" });
  c.set("auth", { kind: "exportKey" });
  await next();
});
