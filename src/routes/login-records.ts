// FusionAuth's Login Record API search (https://fusionauth.io/docs/apis/login#search-login-records):
// every successful login (password only, or a completed second factor) of one user, newest first.
import { Hono } from "hono";
import { searchLoginRecords } from "../services/login-records";
import { requireApiKey } from "./http/auth";
import type { AppEnv } from "./http/context";
import { loginRecordSearchQuery } from "./http/requests";
import { check } from "./http/validate";

export const loginRecordRoutes = new Hono<AppEnv>().get("/system/login-record/search", requireApiKey, async (c) => {
  const { userId, ...query } = check(loginRecordSearchQuery, c.req.query());
  return c.json(await searchLoginRecords(c.var.scope, userId, query));
});
