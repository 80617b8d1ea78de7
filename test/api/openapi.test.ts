import { describe, expect, it } from "vitest";
import app from "../../src/index";
import { MAX_IMPORT_USERS } from "../../src/routes/http/requests";
import { openApiDocument } from "../../src/routes/http/openapi-document";
import { call } from "../helpers";

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

function documentedRoutes(): string[] {
  return Object.entries(openApiDocument().paths ?? {})
    .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe("OpenAPI description", () => {
  it("documents every route the app serves, and nothing else", () => {
    expect(documentedRoutes()).toEqual(appRoutes());
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
