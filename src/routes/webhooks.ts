// The Webhook API (FusionAuth `/api/webhook`, https://fusionauth.io/docs/apis/webhooks): create, retrieve,
// replace and delete webhooks, with an API key; and the events no retry could deliver.
import { Hono } from "hono";
import type { z } from "zod";
import { fail } from "../domain/failures";
import { createWebhook, deadLetters, deleteWebhook, getWebhook, listWebhooks, replaceWebhook, type WebhookSettings } from "../services/webhooks";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
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

const responses = { 200: "webhook", 400: "errors", 404: "notFound" } as const;

export const webhookRoutes = new Hono<AppEnv>();

endpoint(
  webhookRoutes,
  {
    method: "get",
    path: "/webhook/dead-letters",
    summary: "The events no retry could deliver (kept 30 days; the oldest 100)",
    security: "apiKey",
    responses: { 200: "deadLetters" },
  },
  async (c) => c.json({ deadLetters: await deadLetters(c.var.scope) }),
);

endpoint(
  webhookRoutes,
  {
    method: "post",
    path: "/webhook/:webhookId?",
    summary: "Create a webhook, with this id if one is given (its signing key is answered once)",
    security: "apiKey",
    body: webhookRequest,
    responses,
  },
  async (c) => {
    const id = c.req.param("webhookId") ? idParam("webhookId", c.req.param("webhookId")) : undefined;
    const { settings, signingKey } = settingsOf((await readJson(c, webhookRequest)).webhook);
    return c.json({ webhook: await createWebhook(c.var.scope, id, settings, signingKey) });
  },
);

endpoint(webhookRoutes, { method: "get", path: "/webhook", summary: "Retrieve every webhook", security: "apiKey", responses: { 200: "webhooks" } }, async (c) =>
  c.json({ webhooks: await listWebhooks(c.var.scope) }),
);

endpoint(webhookRoutes, { method: "get", path: "/webhook/:webhookId", summary: "Retrieve a webhook", security: "apiKey", responses }, async (c) => {
  const webhook = await getWebhook(c.var.scope, idParam("webhookId", c.req.param("webhookId")));
  if (!webhook) throw fail({ kind: "not-found" });
  return c.json({ webhook });
});

endpoint(
  webhookRoutes,
  {
    method: "put",
    path: "/webhook/:webhookId",
    summary: "Replace a webhook (without a signingKey the stored one stays)",
    security: "apiKey",
    body: webhookRequest,
    responses,
  },
  async (c) => {
    const id = idParam("webhookId", c.req.param("webhookId"));
    const { settings, signingKey } = settingsOf((await readJson(c, webhookRequest)).webhook);
    return c.json({ webhook: await replaceWebhook(c.var.scope, id, settings, signingKey) });
  },
);

endpoint(
  webhookRoutes,
  { method: "delete", path: "/webhook/:webhookId", summary: "Delete a webhook", security: "apiKey", responses: { ...responses, 200: "ok" } },
  async (c) => {
    await deleteWebhook(c.var.scope, idParam("webhookId", c.req.param("webhookId")));
    return empty();
  },
);
