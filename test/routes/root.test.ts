// The server's address itself answers where to go, rather than an empty 404.
import { expect, it } from "vitest";
import { call, jsonBody } from "../helpers";

it("GET / points to the status, the OpenAPI document and the demo page", async () => {
  const response = await call("GET", "/", { apiKey: null });
  expect(response.status).toBe(200);
  const body = await jsonBody(response);
  expect(body).toEqual({ status: "/api/status", openapi: "/api/openapi.json", demo: expect.stringContaining("/demo") });
  expect((await call("GET", body.status, { apiKey: null })).status).toBe(200);
  expect((await call("GET", body.openapi, { apiKey: null })).status).toBe(200);
});
