// The Import API (FusionAuth `POST /api/user/import`): users with their password hashes and legacy
// 2FA secrets, all or nothing.
import { Hono } from "hono";
import { importUsers } from "../services/user-import";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { empty } from "./http/respond";
import { importRequest } from "./http/requests";
import { readJson } from "./http/validate";

export const userImportRoutes = new Hono<AppEnv>();

endpoint(
  userImportRoutes,
  {
    method: "post",
    path: "/user/import",
    summary: "Import users with FusionAuth password hashes and 2FA secrets (all or nothing)",
    security: "apiKey",
    body: importRequest,
    responses: { 200: "ok", 400: "errors" },
  },
  async (c) => {
    await importUsers(c.var.scope, await readJson(c, importRequest));
    return empty();
  },
);
