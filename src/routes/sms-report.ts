// The SMS guard's figures for operators (API key): texts sent and refused per clock hour and
// destination country, with the reasons (see "SMS fraud defence" in README.md).
import { Hono } from "hono";
import { invalidField } from "../domain/failures";
import { smsReport } from "../services/sms-report";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { smsReportQuery } from "./http/requests";
import { check } from "./http/validate";

const DAY_MS = 86_400_000;

export const smsReportRoutes = new Hono<AppEnv>();

endpoint(
  smsReportRoutes,
  {
    method: "get",
    path: "/system/sms-report",
    summary: "The SMS guard's figures: texts sent and refused per clock hour and destination country",
    description:
      "Refusal reasons: `invalid` (not a phone number, or unassigned), `number-type` (premium-rate, shared-cost, satellite, non-geographic, toll-free, personal), `country` (outside SMS_ALLOWED_COUNTRIES), `phone` (the number's spacing or hourly cap), `range` (SMS_MAX_PER_RANGE_PER_HOUR), `ip` (the client's cap: SMS_MAX_PER_IP_PER_HOUR, SMS_MAX_PER_UNPARSEABLE_IP_PER_HOUR or SMS_MAX_PER_CALLER_PER_HOUR), `country-budget` (SMS_MAX_PER_COUNTRY_PER_HOUR), `budget` (SMS_MAX_PER_HOUR).",
    security: "apiKey",
    query: smsReportQuery,
    responses: { 200: "smsReport", 400: "errors" },
  },
  async (c) => {
    const query = check(smsReportQuery, c.req.query());
    const end = query.end ?? c.var.scope.now;
    const start = query.start ?? end - DAY_MS;
    if (start > end) throw invalidField("start", "invalid", "The [start] must not be after [end].");
    return c.json(await smsReport(c.var.scope, start, end));
  },
);
