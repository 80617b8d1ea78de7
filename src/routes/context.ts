// The one environment type shared by every sub-app and middleware, and the request-scoped
// values they put on the context.
import { createMiddleware } from "hono/factory";
import { readConfig, type Config } from "../domain/config";

export type Auth = { kind: "apiKey" } | { kind: "jwt"; userId: string };

export type AppEnv = {
  Bindings: Env;
  Variables: { auth: Auth; config: Config; requestId: string };
};

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set("requestId", crypto.randomUUID());
  c.set("config", readConfig(c.env));
  await next();
});
