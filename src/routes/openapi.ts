// GET /api/openapi.json: the OpenAPI 3.1 description, built from the routes' declarations
// (src/routes/http/endpoint.ts) on the first request to it. Its module is imported here and only
// here, dynamically: the bundler wraps it so that its schemas and the generator run on that first
// import, not when the Worker starts, and never in another route's request.
import { Hono } from "hono";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { openApiDocument } from "./http/openapi-document";

export const openApiRoutes = new Hono<AppEnv>();

endpoint(openApiRoutes, { method: "get", path: "/openapi.json", summary: "This document", security: "none", responses: { 200: "document" } }, async (c) =>
  c.json(openApiDocument()),
);
