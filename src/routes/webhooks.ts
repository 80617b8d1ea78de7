// The Webhook API (FusionAuth `/api/webhook`, https://fusionauth.io/docs/apis/webhooks): create, retrieve,
// replace and delete webhooks, with an API key; and the events no retry could deliver.
import { Hono } from "hono";
import type { z } from "zod";
import { fail } from "../domain/failures";
import { createWebhook, deadLetters, deleteWebhook, getWebhook, listWebhooks, replaceWebhook, type WebhookSettings } from "../services/webhooks";
import { requireApiKey } from "./http/auth";
import type { AppEnv } from "./http/context";
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_READ_TIMEOUT_MS, webhookRequest } from "./http/requests";
import { empty } from "./http/respond";
import { idParam, readJson } from "./http/validate";

type WebhookInput = z.output<typeof webhookRequest>["webhook"];

/** The settings a request gives, FusionAuth's defaults for what it leaves out; and the signing key, if given. */
function settingsOf(input: WebhookInput): { settings: WebhookSettings; signingKey?: string } {
  const settings: WebhookSettings = {
    url: input.url,
    eventsEnabled: input.eventsEnabled ?? {},
    headers: input.headers ?? {},
    connectTimeout: input.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    readTimeout: input.readTimeout ?? DEFAULT_READ_TIMEOUT_MS,
    ...(input.description && { description: input.description }),
    signatureConfiguration: { enabled: input.signatureConfiguration?.enabled ?? true },
  };
  return { settings, signingKey: input.signatureConfiguration?.signingKey ?? undefined };
}

export const webhookRoutes = new Hono<AppEnv>()
  .get("/webhook/dead-letters", requireApiKey, async (c) => c.json({ deadLetters: await deadLetters(c.var.scope) }))
  .post("/webhook/:webhookId?", requireApiKey, async (c) => {
    const id = c.req.param("webhookId") ? idParam("webhookId", c.req.param("webhookId")) : undefined;
    const { settings, signingKey } = settingsOf((await readJson(c, webhookRequest)).webhook);
    return c.json({ webhook: await createWebhook(c.var.scope, id, settings, signingKey) });
  })
  .get("/webhook", requireApiKey, async (c) => c.json({ webhooks: await listWebhooks(c.var.scope) }))
  .get("/webhook/:webhookId", requireApiKey, async (c) => {
    const webhook = await getWebhook(c.var.scope, idParam("webhookId", c.req.param("webhookId")));
    if (!webhook) throw fail({ kind: "not-found" });
    return c.json({ webhook });
  })
  .put("/webhook/:webhookId", requireApiKey, async (c) => {
    const id = idParam("webhookId", c.req.param("webhookId"));
    const { settings, signingKey } = settingsOf((await readJson(c, webhookRequest)).webhook);
    return c.json({ webhook: await replaceWebhook(c.var.scope, id, settings, signingKey) });
  })
  .delete("/webhook/:webhookId", requireApiKey, async (c) => {
    await deleteWebhook(c.var.scope, idParam("webhookId", c.req.param("webhookId")));
    return empty();
  });
