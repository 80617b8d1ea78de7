// The Webhook API's operations (FusionAuth `/api/webhook`). The signing key is write-only: generated
// when the create does not give one and answered once, by the create; stored encrypted.
import { fail, invalidField } from "../domain/failures";
import { randomId } from "../crypto/random";
import { newSigningKey } from "../crypto/webhook-signature";
import { listDeadLetters, type DeadLetter } from "../kv/webhook-dead-letters";
import { MAX_WEBHOOKS, readWebhooks, sealSigningKey, writeWebhooks, type StoredWebhook, type Webhook, type WebhookSettings } from "../kv/webhooks";
import type { Scope } from "./shared/scope";

export type { DeadLetter, Webhook, WebhookSettings };

const publicWebhook = ({ sealedSigningKey: _sealed, ...webhook }: StoredWebhook): Webhook => webhook;

export async function listWebhooks({ env }: Scope): Promise<Webhook[]> {
  return (await readWebhooks(env.KV)).map(publicWebhook);
}

export async function getWebhook({ env }: Scope, id: string): Promise<Webhook | null> {
  const webhook = (await readWebhooks(env.KV)).find((stored) => stored.id === id);
  return webhook ? publicWebhook(webhook) : null;
}

/** Creates webhook `id` (a new one when undefined); the answer carries its signing key, the only time it is shown. */
export async function createWebhook({ env, now: nowMs }: Scope, requestedId: string | undefined, settings: WebhookSettings, signingKey: string | undefined) {
  const id = requestedId ?? randomId();
  const webhooks = await readWebhooks(env.KV);
  if (webhooks.some((stored) => stored.id === id)) throw invalidField("webhookId", "duplicate", `A Webhook with Id = [${id}] already exists.`);
  if (webhooks.length >= MAX_WEBHOOKS) throw invalidField("webhook", "tooMany", `At most ${MAX_WEBHOOKS} webhooks can be configured.`);
  const key = signingKey ?? newSigningKey();
  const webhook: StoredWebhook = {
    ...settings,
    id,
    insertInstant: nowMs,
    lastUpdateInstant: nowMs,
    sealedSigningKey: await sealSigningKey(env.ENCRYPTION_KEY, id, key),
  };
  await writeWebhooks(env.KV, [...webhooks, webhook]);
  return { ...publicWebhook(webhook), signatureConfiguration: { ...webhook.signatureConfiguration, signingKey: key } };
}

/** Replaces webhook `id`'s settings; without a `signingKey` the stored one stays. */
export async function replaceWebhook({ env, now: nowMs }: Scope, id: string, settings: WebhookSettings, signingKey: string | undefined): Promise<Webhook> {
  const webhooks = await readWebhooks(env.KV);
  const stored = webhooks.find((webhook) => webhook.id === id);
  if (!stored) throw fail({ kind: "not-found" });
  const sealedSigningKey = signingKey ? await sealSigningKey(env.ENCRYPTION_KEY, id, signingKey) : stored.sealedSigningKey;
  const webhook: StoredWebhook = { ...settings, id, insertInstant: stored.insertInstant, lastUpdateInstant: nowMs, sealedSigningKey };
  await writeWebhooks(
    env.KV,
    webhooks.map((other) => (other.id === id ? webhook : other)),
  );
  return publicWebhook(webhook);
}

export async function deleteWebhook({ env }: Scope, id: string): Promise<void> {
  const webhooks = await readWebhooks(env.KV);
  if (!webhooks.some((webhook) => webhook.id === id)) throw fail({ kind: "not-found" });
  await writeWebhooks(
    env.KV,
    webhooks.filter((webhook) => webhook.id !== id),
  );
}

/** The events no retry could deliver (oldest first, at most 100). */
export const deadLetters = ({ env }: Scope): Promise<DeadLetter[]> => listDeadLetters(env.KV);
