// The one environment type shared by every sub-app and middleware, and the request-scoped
// values they put on the context.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { newScope, type Scope } from "../../services/shared/scope";
import { idParam } from "./validate";

/** `tokenStamp`: the access token's, still the account's when the request was authenticated (./auth.ts). */
export type Auth = { kind: "apiKey" } | { kind: "exportKey" } | { kind: "jwt"; userId: string; tokenStamp: string };

export type AppEnv = {
  Bindings: Env;
  /** `scope`: the request's bindings, settings, time and background work; `tenantId`: the `X-FusionAuth-TenantId` header, checked, when the client sent one. */
  Variables: { auth: Auth; scope: Scope; tenantId?: string };
};

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const tenantId = c.req.header("X-FusionAuth-TenantId");
  if (tenantId) c.set("tenantId", idParam("X-FusionAuth-TenantId", tenantId));
  // The request's waitUntil. `app.request` without an execution context (the workerd tests) has none:
  // there the work is awaited before the response is returned, so a test sees its outcome.
  const inline: Promise<unknown>[] = [];
  const country = (c.req.raw.cf as { country?: string } | undefined)?.country;
  c.set("scope", newScope(c.env, executionContextOf(c) ?? { waitUntil: (promise) => void inline.push(promise) }, Date.now(), country));
  await next();
  if (inline.length) await Promise.all(inline);
});

function executionContextOf(c: Context<AppEnv>): Scope["background"] | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined; // Hono throws when the request came without one
  }
}
