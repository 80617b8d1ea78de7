// The one environment type shared by every sub-app and middleware, and the request-scoped
// values they put on the context.
import { createMiddleware } from "hono/factory";
import { readConfig, type Config } from "../../domain/config";
import { idParam } from "./validate";

/** `issuedAt` (s) lets a user re-created with the same id refuse tokens issued to the old one. */
export type Auth = { kind: "apiKey" } | { kind: "jwt"; userId: string; issuedAt: number };

export type AppEnv = {
  Bindings: Env;
  /** `tenantId` is the `X-FusionAuth-TenantId` header, checked, when the client sent one. */
  Variables: { auth: Auth; config: Config; requestId: string; tenantId?: string };
};

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set("requestId", crypto.randomUUID());
  c.set("config", readConfig(c.env));
  const tenantId = c.req.header("X-FusionAuth-TenantId");
  if (tenantId) c.set("tenantId", idParam("X-FusionAuth-TenantId", tenantId));
  await next();
});
