import { describe, expect, it } from "vitest";
import app from "../../src/index";
import { endpoints } from "../../src/routes/http/endpoint";
import { openApiDocument } from "../../src/routes/http/openapi-document";
import { MAX_IMPORT_USERS } from "../../src/routes/http/requests";
import { accessToken, call, createUser } from "../helpers";

/**
 * "METHOD /path/{param}" for every API handler the app routes (Hono's `:param?` stands for two
 * paths). Only /api/*: the /demo page is not part of the API.
 */
function appRoutes(): string[] {
  const routes = new Set<string>();
  for (const { method, path } of app.routes) {
    if (method === "ALL" || !path.startsWith("/api/")) continue; // middleware, the demo
    const optional = /\/:(\w+)\?$/.exec(path);
    const paths = optional ? [path.slice(0, optional.index), path.replace(/\?$/, "")] : [path];
    for (const p of paths) routes.add(`${method} ${p.replace(/:(\w+)/g, "{$1}")}`);
  }
  return [...routes].sort();
}

type Operation = { method: string; path: string; security: Record<string, unknown>[]; statuses: string[] };

function documentedOperations(): Operation[] {
  const paths = openApiDocument().paths as Record<string, Record<string, { security?: Record<string, unknown>[]; responses: Record<string, unknown> }>>;
  return Object.entries(paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      security: operation.security ?? [],
      statuses: Object.keys(operation.responses),
    })),
  );
}

const documentedRoutes = () =>
  documentedOperations()
    .map(({ method, path }) => `${method} ${path}`)
    .sort();

/** The path with each parameter an id nothing has: calls that reach a handler find nothing, change nothing. */
const concrete = (path: string) => path.replace(/\{\w+\}/g, () => crypto.randomUUID());

/** Each operation called as `caller`, with no body: the status it answered. */
async function answers(caller: { headers?: Record<string, string>; apiKey?: string | null; vars?: Partial<Record<keyof Env, string>> }) {
  const seen: { operation: Operation; status: number }[] = [];
  for (const operation of documentedOperations()) {
    const response = await call(operation.method, concrete(operation.path), caller);
    await response.body?.cancel();
    seen.push({ operation, status: response.status });
  }
  return seen;
}

/** Whether `scheme`'s caller gets past the documented security: `{}` (optional) admits callers that send no Authorization header. */
const allows = (operation: Operation, scheme: string) =>
  operation.security.length === 0 || operation.security.some((option) => scheme in option || (Object.keys(option).length === 0 && scheme !== "JWT"));

describe("OpenAPI description", () => {
  it("documents every route the app serves, and nothing else", () => {
    expect(documentedRoutes()).toEqual(appRoutes());
  });

  it("documents the security each route enforces, and the status codes it answered with", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const callers = {
      ApiKey: {},
      JWT: { apiKey: null, headers: { Authorization: `Bearer ${token}` } },
      AccessTokenCookie: { apiKey: null, headers: { Cookie: `access_token=${token}` } },
      nobody: { apiKey: null },
    };
    const problems: string[] = [];
    for (const [scheme, caller] of Object.entries(callers)) {
      for (const { operation, status } of await answers(caller)) {
        const name = `${operation.method} ${operation.path} as ${scheme} answered ${status}`;
        if ((status === 401) !== !allows(operation, scheme)) problems.push(`${name}: documented security ${JSON.stringify(operation.security)}`);
        if (!operation.statuses.includes(String(status))) problems.push(`${name}: documented ${operation.statuses.join(", ")}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("documents the login's API key, which LOGIN_REQUIRES_API_KEY=false lifts", async () => {
    const login = endpoints.filter((endpoint) => endpoint.security === "login");
    expect(login.map(({ path }) => path)).toEqual(["/login"]);
    const [operation] = documentedOperations().filter(({ method, path }) => method === "POST" && path === "/api/login");
    expect(operation!.security).toEqual([{ ApiKey: [] }]);
    expect((await call("POST", "/api/login", { apiKey: null })).status).toBe(401);
    const open = await call("POST", "/api/login", { apiKey: null, vars: { LOGIN_REQUIRES_API_KEY: "false" } });
    expect(open.status).toBe(400);
    expect(operation!.statuses).toContain("400");
  });

  it("is served at /api/openapi.json without authentication", async () => {
    const response = await call("GET", "/api/openapi.json", { apiKey: null });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("resolves every schema reference", () => {
    const refs = JSON.stringify(openApiDocument()).match(/#\/components\/schemas\/\w+/g) ?? [];
    const names = Object.keys(openApiDocument().components?.schemas ?? {});
    for (const target of refs) expect(names).toContain(target.split("/").at(-1));
  });

  it("is generated from the schemas the routes validate with", () => {
    const schemas = openApiDocument().components?.schemas ?? {};
    expect(schemas.LoginRequest).toMatchObject({ required: ["loginId", "password"], properties: { applicationId: { format: "uuid" } } });
    expect(schemas.ImportRequest).toMatchObject({ properties: { users: { minItems: 1, maxItems: MAX_IMPORT_USERS } } });
    // Patterns are bare expressions (no "/u" flags suffix) that still accept what the schemas accept.
    const email = (schemas.UserRequest as { properties: { user: { properties: { email: { pattern: string } } } } }).properties.user.properties.email;
    expect(new RegExp(email.pattern, "u").test("jane@example.com")).toBe(true);
  });
});
