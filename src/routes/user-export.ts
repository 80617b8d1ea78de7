// The export: every user in FusionAuth's Import API format, so nothing keeps an operator here, a page at a time,
// for `npm run export` (scripts/export-users.mjs). Only an export key opens it (EXPORT_KEYS).
import { Hono } from "hono";
import { exportUsers } from "../services/user-export";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { exportQuery } from "./http/requests";
import { check } from "./http/validate";

export const userExportRoutes = new Hono<AppEnv>();

endpoint(
  userExportRoutes,
  {
    method: "get",
    path: "/system/export",
    summary: "Export users in FusionAuth's Import API format, one page at a time",
    description:
      "Each user as a `POST /api/user/import` entry: the PBKDF2 hash, salt and factor, `twoFactor.methods` with each authenticator's secret (Base64), and the recovery codes as hashes with their scheme (see README, Export). Each exported user emits a `user.export` event. Needs a key of EXPORT_KEYS; API keys are refused (401), as is every key while EXPORT_KEYS is unset.",
    security: "exportKey",
    query: exportQuery,
    responses: { 200: "exportPage", 400: "errors" },
  },
  async (c) => {
    const { cursor, limit } = check(exportQuery, c.req.query());
    c.header("Cache-Control", "no-store");
    return c.json(await exportUsers(c.var.scope, cursor ?? null, limit));
  },
);
