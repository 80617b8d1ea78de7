// The one environment type shared by every sub-app and middleware, and the request-scoped
// values they put on the context.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { readConfig, type Config } from "../../domain/config";
import { idParam } from "./validate";

/** `issuedAt` (s) lets a user re-created with the same id refuse tokens issued to the old one. */
export type Auth = { kind: "apiKey" } | { kind: "jwt"; userId: string; issuedAt: number };

export type AppEnv = {
  Bindings: Env;
  /**
   * `tenantId` is the `X-FusionAuth-TenantId` header, checked, when the client sent one. `background`
   * runs work the response must not wait for (enqueueing events).
   */
  Variables: { auth: Auth; config: Config; tenantId?: string; background: Pick<ExecutionContext, "waitUntil"> };
};

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set("config", readConfig(c.env));
  const tenantId = c.req.header("X-FusionAuth-TenantId");
  if (tenantId) c.set("tenantId", idParam("X-FusionAuth-TenantId", tenantId));
  // The request's waitUntil. `app.request` without an execution context (the workerd tests) has none:
  // there the work is awaited before the response is returned, so a test sees its outcome.
  const inline: Promise<unknown>[] = [];
  c.set("background", executionContextOf(c) ?? { waitUntil: (promise) => void inline.push(promise) });
  await next();
  if (inline.length) await Promise.all(inline);
});

function executionContextOf(c: Context<AppEnv>): AppEnv["Variables"]["background"] | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined; // Hono throws when the request came without one
  }
}
