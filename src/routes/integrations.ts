// The Integrations API, Twilio part (FusionAuth `/api/integration`). The auth token is write-only.
import { Hono, type Context } from "hono";
import { getTwilioIntegration, saveTwilioIntegration } from "../services/integrations";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { integrationRequest } from "./http/requests";
import { readJson } from "./http/validate";

async function save(c: Context<AppEnv>, replace: boolean): Promise<Response> {
  const input = (await readJson(c, integrationRequest)).integrations.twilio ?? {};
  return c.json({ integrations: { twilio: await saveTwilioIntegration(c.var.scope, input, replace) } });
}

const responses = { 200: "integrations", 400: "errors" } as const;

export const integrationRoutes = new Hono<AppEnv>();

endpoint(integrationRoutes, { method: "get", path: "/integration", summary: "Retrieve the integrations", security: "apiKey", responses }, async (c) =>
  c.json({ integrations: { twilio: await getTwilioIntegration(c.var.scope) } }),
);
endpoint(
  integrationRoutes,
  { method: "put", path: "/integration", summary: "Replace the Twilio integration", security: "apiKey", body: integrationRequest, responses },
  (c) => save(c, true),
);
endpoint(
  integrationRoutes,
  { method: "patch", path: "/integration", summary: "Update some Twilio integration fields", security: "apiKey", body: integrationRequest, responses },
  (c) => save(c, false),
);
