// The Import API (FusionAuth `POST /api/user/import`): users with their password hashes and legacy
// 2FA secrets, all or nothing.
import { Hono } from "hono";
import { importUsers } from "../services/user-import";
import { requireApiKey } from "./http/auth";
import type { AppEnv } from "./http/context";
import { empty } from "./http/respond";
import { importRequest } from "./http/requests";
import { readJson } from "./http/validate";

export const userImportRoutes = new Hono<AppEnv>().post("/user/import", requireApiKey, async (c) => {
  await importUsers(c.var.scope, await readJson(c, importRequest));
  return empty();
});
