// A route declared once, next to its handler: method, path, security, the schemas the handler
// validates with, and the responses it answers. `endpoint` registers the route on a sub-app behind
// the security middleware its declaration names, so what the OpenAPI document says about who may
// call is what is enforced, and records the declaration. The document (./openapi-document.ts) is
// built from the records on the first GET /api/openapi.json; nothing here runs per request.
import type { Handler, Hono, MiddlewareHandler } from "hono";
import type { ZodObject, ZodType } from "zod";
import { loginAuth, optionalApiKey, requireApiKey, requireApiKeyOrJwt, requireApiKeyOrJwtCheckedByObject, requireExportKey } from "./auth";
import type { AppEnv } from "./context";
import type { ResponseName } from "./openapi-document";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/**
 * `optionalApiKey`: none needed, but an `Authorization` header must hold a valid API key. `login`: an
 * API key, optional when LOGIN_REQUIRES_API_KEY is false (documented as required). `exportKey`: a key
 * of EXPORT_KEYS, and nothing else.
 */
export type Security = "none" | "optionalApiKey" | "apiKey" | "apiKeyOrJwt" | "login" | "exportKey";

export type Endpoint<P extends string = string> = {
  method: Method | Method[];
  /** The Hono path under /api. Its parameters are documented from their names; `:name?` stands for two paths, without and with it. */
  path: P;
  summary: string;
  description?: string;
  /** Enforced by the middleware `endpoint` puts before the handler; all but `none` also document a 401. */
  security: Security;
  /**
   * With `apiKeyOrJwt`: every JWT path of the handler calls the token's user's object with the
   * token's stamp (`target(c)`), which refuses a stale one (401), so the middleware does not call it too.
   */
  stampCheckedByObject?: true;
  /** The JSON body's schema, the one the handler reads it with (readJson); `bodyOptional` when a call may send none. */
  body?: ZodType;
  bodyOptional?: boolean;
  query?: ZodObject;
  headers?: ZodObject;
  /** Status code: one of the document's named responses. */
  responses: Partial<Record<number, ResponseName>>;
};

const guards: Record<Security, MiddlewareHandler<AppEnv> | undefined> = {
  none: undefined,
  optionalApiKey,
  apiKey: requireApiKey,
  apiKeyOrJwt: requireApiKeyOrJwt,
  login: loginAuth,
  exportKey: requireExportKey,
};

/** Every declared endpoint, in the order the sub-apps declared them. */
export const endpoints: Endpoint[] = [];

/** Registers one route on `app`: its security middleware, then `handler`. */
export function endpoint<P extends string>(app: Hono<AppEnv>, declaration: Endpoint<P>, handler: Handler<AppEnv, P>): void {
  endpoints.push(declaration);
  const methods = [declaration.method].flat().map((method) => method.toUpperCase());
  const guard = declaration.stampCheckedByObject ? requireApiKeyOrJwtCheckedByObject : guards[declaration.security];
  const handlers = (guard ? [guard, handler] : [handler]) as [MiddlewareHandler<AppEnv>, ...MiddlewareHandler<AppEnv>[]];
  app.on(methods, declaration.path, ...handlers);
}
