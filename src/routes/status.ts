// GET /api/status: up or not, for load balancers and monitors.
import { Hono } from "hono";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";

export const statusRoutes = new Hono<AppEnv>();

endpoint(statusRoutes, { method: "get", path: "/status", summary: "Health", security: "none", responses: { 200: "status" } }, (c) => c.json({ status: "ok" }));
