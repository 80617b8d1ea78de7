// The Integrations API, Twilio part (FusionAuth `/api/integration`). The auth token is write-only.
import { Hono, type Context } from "hono";
import { getTwilioIntegration, saveTwilioIntegration } from "../services/integrations";
import { requireApiKey } from "./http/auth";
import type { AppEnv } from "./http/context";
import { integrationRequest } from "./http/requests";
import { readJson } from "./http/validate";

async function save(c: Context<AppEnv>, replace: boolean): Promise<Response> {
  const input = (await readJson(c, integrationRequest)).integrations.twilio ?? {};
  return c.json({ integrations: { twilio: await saveTwilioIntegration(c.var.scope, input, replace) } });
}

export const integrationRoutes = new Hono<AppEnv>()
  .get("/integration", requireApiKey, async (c) => c.json({ integrations: { twilio: await getTwilioIntegration(c.var.scope) } }))
  .put("/integration", requireApiKey, (c) => save(c, true))
  .patch("/integration", requireApiKey, (c) => save(c, false));
