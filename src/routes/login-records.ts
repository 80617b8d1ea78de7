// FusionAuth's Login Record API search (https://fusionauth.io/docs/apis/login#search-login-records):
// every successful login (password only, or a completed second factor) of one user, newest first.
import { Hono } from "hono";
import { searchLoginRecords } from "../services/login-records";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { loginRecordSearchQuery } from "./http/requests";
import { check } from "./http/validate";

export const loginRecordRoutes = new Hono<AppEnv>();

endpoint(
  loginRecordRoutes,
  {
    method: "get",
    path: "/system/login-record/search",
    summary: "Search a user's login records, newest first",
    security: "apiKey",
    query: loginRecordSearchQuery,
    responses: { 200: "loginRecords", 400: "errors", 404: "notFound" },
  },
  async (c) => {
    const { userId, ...query } = check(loginRecordSearchQuery, c.req.query());
    return c.json(await searchLoginRecords(c.var.scope, userId, query));
  },
);
