// Every operation the OpenAPI description lists (which test/routes/openapi.test.ts keeps equal to the
// app's routes) gets hostile path ids, query strings, Authorization / tenant / cookie headers and
// bodies: never a 500, and every answer keeps FusionAuth's contract.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { openApiDocument } from "../../src/routes/http/openapi-document";
import { API_KEY } from "../helpers";
import { bodies, checkNoPrototypePollution, contentType, contractProblem, pathPart, runs, send } from "./support";

type Responses = Record<string, { content?: unknown }>;
const operations = Object.entries(openApiDocument().paths as Record<string, Record<string, { responses: Responses }>>).flatMap(([path, byMethod]) =>
  Object.entries(byMethod).map(([method, operation]) => ({
    method: method.toUpperCase(),
    path,
    success: (operation.responses["200"]?.content ? "json" : "empty") as "json" | "empty",
  })),
);

const printable = fc.string({ maxLength: 40 });
const headerValue = fc.oneof(printable, fc.uuid(), fc.constantFrom("", "null", "x".repeat(10_000), `${API_KEY},${API_KEY}`));
const headers = fc.record(
  {
    Authorization: fc.oneof(fc.constant(API_KEY), fc.constant(`Bearer ${"e30".repeat(3)}`), headerValue),
    "X-FusionAuth-TenantId": fc.oneof(fc.uuid(), headerValue),
    Cookie: fc.tuple(fc.constantFrom("access_token", "fusionauth.trust", "x"), headerValue).map(([name, value]) => `${name}=${value}`),
  },
  { requiredKeys: [] },
);

checkNoPrototypePollution();

describe("every documented operation", () => {
  it("lists the operations of every area", () => {
    const paths = new Set(operations.map((operation) => operation.path));
    for (const path of [
      "/api/login",
      "/api/two-factor/login",
      "/api/two-factor/secret",
      "/api/two-factor/send/{twoFactorId}",
      "/api/user/two-factor/{userId}",
      "/api/user/import",
      "/api/user/{userId}",
      "/api/integration",
    ]) {
      expect(paths).toContain(path);
    }
    expect(operations.length).toBeGreaterThanOrEqual(20);
  });

  it("answers hostile ids, queries, headers and bodies with a documented success or a FusionAuth 4xx", async () => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no network in fuzz tests"));
    const exercised = new Set<string>();
    const query = fc.array(fc.tuple(fc.constantFrom("userId", "code", "email", "username", "loginId", "x"), pathPart), { maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        pathPart,
        query,
        headers,
        fc.option(bodies({})),
        contentType,
        async (operation, id, parameters, sent, body, type) => {
          exercised.add(`${operation.method} ${operation.path}`);
          const path = operation.path.replace(/\{\w+\}/, id) + (parameters.length ? `?${parameters.map(([name, value]) => `${name}=${value}`).join("&")}` : "");
          const response = await send({
            method: operation.method,
            path,
            headers: sent,
            body: operation.method === "GET" ? null : body,
            contentType: type,
            apiKey: null,
          });
          expect(await contractProblem(operation, response)).toBeNull();
        },
      ),
      runs(400),
    );
    expect([...exercised].sort()).toEqual(operations.map((operation) => `${operation.method} ${operation.path}`).sort());
  }, 60_000);
});
