// Key rotation for operators (API key): what still uses each old key of ENCRYPTION_KEY, and a sweep
// started now rather than at the next scheduled check. See "Rotating ENCRYPTION_KEY" in docs/operations.md.
import { Hono } from "hono";
import { keyRotationReport, sweepNow } from "../services/key-rotation";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";

export const keyRotationRoutes = new Hono<AppEnv>();

endpoint(
  keyRotationRoutes,
  {
    method: "get",
    path: "/system/key-rotation",
    summary: "What still uses each old key of ENCRYPTION_KEY: users (as the last sweep found them), webhooks and integration secrets",
    description: "An old key can be removed from ENCRYPTION_KEY once a sweep under the current key has finished and every count of that key is 0.",
    security: "apiKey",
    responses: { 200: "keyRotation" },
  },
  async (c) => c.json(await keyRotationReport(c.var.scope.env)),
);

endpoint(
  keyRotationRoutes,
  {
    method: "post",
    path: "/system/key-rotation",
    summary: "Starts a sweep that re-seals every user's secrets under ENCRYPTION_KEY's current key (replacing one that runs)",
    description: "The scheduled check starts one by itself within 15 minutes of a key being prepended; this starts it now. Answers the report.",
    security: "apiKey",
    responses: { 200: "keyRotation" },
  },
  async (c) => c.json(await sweepNow(c.var.scope.env, c.var.scope.now)),
);
