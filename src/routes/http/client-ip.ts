// Who is asking: the connecting client's address, and the end user's as far as it is known.
import type { Context } from "hono";
import type { AppEnv } from "./context";

/** The connecting client: Cloudflare's `CF-Connecting-IP`, or the first `X-Forwarded-For` hop off Cloudflare (local development). */
export function connectingIp(c: Context<AppEnv>): string | undefined {
  return c.req.header("CF-Connecting-IP") ?? c.req.header("X-Forwarded-For")?.split(",")[0]?.trim();
}

/**
 * The end user's IP when known: the body's `ipAddress` when an application calls with its API key
 * (FusionAuth: "the IP address of the end-user"; undefined when it sends none, since the connecting
 * address is then the application's own server), else the connecting client. A body field from an
 * unauthenticated caller is not believed: it would let anyone pose as another address.
 */
export function endUserIp(c: Context<AppEnv>, bodyIp: string | null | undefined): string | undefined {
  return c.var.auth?.kind === "apiKey" ? (bodyIp ?? undefined) : connectingIp(c);
}
