// Who is asking: the connecting client's address, and the end user's as far as it is known.
import type { Context } from "hono";
import type { TextClient } from "../../domain/sms-guard";
import type { AppEnv } from "./context";

/** The connecting client: Cloudflare's `CF-Connecting-IP`, or the first `X-Forwarded-For` hop off Cloudflare (local development). */
export function connectingIp(c: Context<AppEnv>): string | undefined {
  return c.req.header("CF-Connecting-IP") ?? c.req.header("X-Forwarded-For")?.split(",")[0]?.trim();
}

/**
 * The end user's IP when known: for an application calling with its API key, the body's `ipAddress`,
 * else the first `X-Forwarded-For` entry it sent (FusionAuth's Login API: "the IP address of the
 * end-user", which the body takes and "if it is not provided in the request body this header value
 * will be used"; the left-most address when every proxy is trusted,
 * https://fusionauth.io/docs/operate/secure-and-monitor/networking), undefined when it reports none,
 * since the connecting address is then the application's own server; else the connecting client. What
 * an unauthenticated caller says is not believed: it would let anyone pose as another address.
 */
export function endUserIp(c: Context<AppEnv>, bodyIp?: string | null): string | undefined {
  return c.var.auth?.kind === "apiKey" ? (bodyIp ?? reportedIp(c)) : connectingIp(c);
}

/**
 * Who asked for a text, for the SMS guard's cap per client: the end user when the application reports
 * the address (see endUserIp) or nobody vouches for the call (a resend, a login without API key: the
 * connecting address, none off Cloudflare); the caller itself, by its connecting address, for an
 * API-key call that reports no address and for a JWT call (a token's holder vouches for nobody).
 */
export function textClient(c: Context<AppEnv>, bodyIp?: string | null): TextClient {
  if (!c.var.auth) return { kind: "end-user", ip: connectingIp(c) };
  const reported = c.var.auth.kind === "apiKey" ? endUserIp(c, bodyIp) : undefined;
  return reported?.trim() ? { kind: "end-user", ip: reported } : { kind: "caller", ip: connectingIp(c) };
}

/**
 * The `X-Forwarded-For` entry the caller sent first. Cloudflare appends the connecting address to the
 * header (https://developers.cloudflare.com/fundamentals/reference/http-headers/): that last entry is
 * not the caller's to report.
 */
function reportedIp(c: Context<AppEnv>): string | undefined {
  const entries = c.req.header("X-Forwarded-For")?.split(",") ?? [];
  if (entries.at(-1)?.trim() === c.req.header("CF-Connecting-IP")?.trim()) entries.pop();
  return entries[0]?.trim() || undefined;
}
