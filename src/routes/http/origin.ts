// Whether a request comes from a page of another site. Browsers send `Origin` with every POST, PUT,
// PATCH and DELETE (the Fetch standard, §3.2.5) and `Sec-Fetch-Site` with every request of a recent
// browser (W3C Fetch Metadata); a sibling subdomain ("same-site") counts as another site, because
// SameSite=Lax cookies reach it. Requests from servers and command-line tools send neither.
import type { Context } from "hono";
import type { AppEnv } from "./context";

export function fromAnotherSite(c: Context<AppEnv>): boolean {
  const origin = c.req.header("Origin");
  if (origin !== undefined) return origin !== new URL(c.req.url).origin;
  const site = c.req.header("Sec-Fetch-Site");
  return site === "cross-site" || site === "same-site";
}

/** Whether the request has a body that is not `application/json` (with or without parameters). */
export function hasNonJsonBody(c: Context<AppEnv>): boolean {
  if (c.req.raw.body === null) return false;
  const mediaType = c.req.header("Content-Type")?.split(";", 1)[0]?.trim().toLowerCase();
  return mediaType !== "application/json";
}
