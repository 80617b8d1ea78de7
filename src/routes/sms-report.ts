// The SMS guard's figures for operators (API key): texts sent and refused per clock hour and
// destination country, with the reasons (see "SMS fraud defence" in README.md).
import { Hono } from "hono";
import { invalidField } from "../domain/failures";
import { smsReport } from "../services/sms-report";
import { requireApiKey } from "./http/auth";
import type { AppEnv } from "./http/context";
import { smsReportQuery } from "./http/requests";
import { check } from "./http/validate";

const DAY_MS = 86_400_000;

export const smsReportRoutes = new Hono<AppEnv>().get("/system/sms-report", requireApiKey, async (c) => {
  const query = check(smsReportQuery, c.req.query());
  const end = query.end ?? c.var.scope.now;
  const start = query.start ?? end - DAY_MS;
  if (start > end) throw invalidField("start", "invalid", "The [start] must not be after [end].");
  return c.json(await smsReport(c.var.scope, start, end));
});
