// The Integrations API (FusionAuth `/api/integration`): Twilio and email. Secrets are write-only.
import { Hono, type Context } from "hono";
import { getIntegrations, saveIntegrations } from "../services/integrations";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { integrationRequest } from "./http/requests";
import { readJson } from "./http/validate";

async function save(c: Context<AppEnv>, replace: boolean): Promise<Response> {
  const { integrations } = await readJson(c, integrationRequest);
  return c.json({ integrations: await saveIntegrations(c.var.scope, integrations, replace) });
}

const responses = { 200: "integrations", 400: "errors" } as const;

export const integrationRoutes = new Hono<AppEnv>();

endpoint(integrationRoutes, { method: "get", path: "/integration", summary: "Retrieve the integrations", security: "apiKey", responses }, async (c) =>
  c.json({ integrations: await getIntegrations(c.var.scope) }),
);
endpoint(
  integrationRoutes,
  {
    method: "put",
    path: "/integration",
    summary: "Replace the Twilio and email integrations (each member sent is replaced, a member left out is kept)",
    security: "apiKey",
    body: integrationRequest,
    responses,
  },
  (c) => save(c, true),
);
endpoint(
  integrationRoutes,
  {
    method: "patch",
    path: "/integration",
    summary: "Update some Twilio and email integration fields",
    security: "apiKey",
    body: integrationRequest,
    responses,
  },
  (c) => save(c, false),
);
