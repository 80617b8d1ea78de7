// The local outbox (development only, EMAIL_LOCAL_OUTBOX): what the simulated `send_email` binding
// sent, read by `npm run outbox` (scripts/outbox.mjs) and the demo.
import { Hono } from "hono";
import { emailOutbox } from "../services/email-outbox";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { outboxQuery } from "./http/requests";
import { check } from "./http/validate";

export const emailOutboxRoutes = new Hono<AppEnv>();

endpoint(
  emailOutboxRoutes,
  {
    method: "get",
    path: "/email/outbox",
    summary: "The emails sent through the local send_email simulation (EMAIL_LOCAL_OUTBOX only)",
    description: 'The last 20 messages, oldest first. `404` unless EMAIL_LOCAL_OUTBOX is "true" (`npm start` sets it; never when deployed).',
    security: "apiKey",
    query: outboxQuery,
    responses: { 200: "outbox", 400: "errors", 404: "notFound" },
  },
  async (c) => c.json({ messages: await emailOutbox(c.var.scope, check(outboxQuery, c.req.query()).to) }),
);
