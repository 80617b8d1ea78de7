// The Webhook API's operations (FusionAuth `/api/webhook`). The signing key is write-only: generated
// when the create does not give one and answered once, by the create; stored encrypted. Header values
// are write-only too: stored encrypted, answered as empty strings. A webhook's url must be a public
// https host (src/domain/webhook-destination.ts).
import type { Config } from "../domain/config";
import { fail, invalidField } from "../domain/failures";
import { replacedHeaders, webhookUrlProblem } from "../domain/webhook-destination";
import { randomId } from "../crypto/random";
import { newSigningKey } from "../crypto/webhook-signature";
import { listDeadLetters, type DeadLetter } from "../kv/webhook-dead-letters";
import {
  headerNamesOf,
  headersOf,
  MAX_WEBHOOKS,
  readWebhooks,
  sealHeaders,
  sealSigningKey,
  withSealedHeaders,
  writeWebhooks,
  type StoredWebhook,
  type Webhook,
  type WebhookSettings,
} from "../kv/webhooks";
import type { Scope } from "./shared/scope";

export type { DeadLetter, Webhook, WebhookSettings };

/** A webhook as the API answers it: no signing key, and each header's name with an empty value (a replace may send it back to keep the value). */
function publicWebhook(stored: StoredWebhook): Webhook {
  const { sealedSigningKey: _key, sealedHeaders: _headers, ...webhook } = stored;
  return { ...webhook, headers: Object.fromEntries(headerNamesOf(stored).map((name) => [name, ""])) };
}

function checkUrl(config: Config, url: string): void {
  const problem = webhookUrlProblem(url, config.webhookAllowLoopback);
  if (problem) throw invalidField("webhook.url", "invalid", problem);
}

/** Writes the list; header values stored in plain text (before they were sealed) are sealed on the way. */
async function save(env: Env, webhooks: StoredWebhook[]): Promise<void> {
  await writeWebhooks(env.KV, await Promise.all(webhooks.map((webhook) => withSealedHeaders(env.ENCRYPTION_KEY, webhook))));
}

/** Webhook `id` as stored: `settings` with its header values sealed. */
async function sealed(env: Env, id: string, { headers, ...settings }: WebhookSettings, stored: Omit<StoredWebhook, keyof WebhookSettings | "id">) {
  return { ...settings, id, ...stored, sealedHeaders: await sealHeaders(env.ENCRYPTION_KEY, id, headers) } satisfies StoredWebhook;
}

export async function listWebhooks({ env }: Scope): Promise<Webhook[]> {
  return (await readWebhooks(env.KV)).map(publicWebhook);
}

export async function getWebhook({ env }: Scope, id: string): Promise<Webhook | null> {
  const webhook = (await readWebhooks(env.KV)).find((stored) => stored.id === id);
  return webhook ? publicWebhook(webhook) : null;
}

/** Creates webhook `id` (a new one when undefined); the answer carries its signing key, the only time it is shown. */
export async function createWebhook(
  { env, config, now: nowMs }: Scope,
  requestedId: string | undefined,
  settings: WebhookSettings,
  signingKey: string | undefined,
) {
  checkUrl(config, settings.url);
  const id = requestedId ?? randomId();
  const webhooks = await readWebhooks(env.KV);
  if (webhooks.some((stored) => stored.id === id)) throw invalidField("webhookId", "duplicate", `A Webhook with Id = [${id}] already exists.`);
  if (webhooks.length >= MAX_WEBHOOKS) throw invalidField("webhook", "tooMany", `At most ${MAX_WEBHOOKS} webhooks can be configured.`);
  const key = signingKey ?? newSigningKey();
  const webhook = await sealed(env, id, settings, {
    insertInstant: nowMs,
    lastUpdateInstant: nowMs,
    sealedSigningKey: await sealSigningKey(env.ENCRYPTION_KEY, id, key),
  });
  await save(env, [...webhooks, webhook]);
  return { ...publicWebhook(webhook), signatureConfiguration: { ...webhook.signatureConfiguration, signingKey: key } };
}

/**
 * Replaces webhook `id`'s settings; without a `signingKey` the stored one stays, and so does a header's
 * stored value when the header is sent with an empty one and the url is unchanged.
 */
export async function replaceWebhook(
  { env, config, now: nowMs }: Scope,
  id: string,
  settings: WebhookSettings,
  signingKey: string | undefined,
): Promise<Webhook> {
  checkUrl(config, settings.url);
  const webhooks = await readWebhooks(env.KV);
  const stored = webhooks.find((webhook) => webhook.id === id);
  if (!stored) throw fail({ kind: "not-found" });
  const { headers, missing } = replacedHeaders(settings.headers, await headersOf(env.ENCRYPTION_KEY, stored), settings.url === stored.url);
  if (missing.length) {
    const message = (name: string) => `The url changed: give the ${name} header's value again (a stored value is sent only to the url it was given for).`;
    throw fail({ kind: "invalid", errors: missing.map((name) => ({ field: `webhook.headers.${name}`, type: "blank", message: message(name) })) });
  }
  const webhook = await sealed(
    env,
    id,
    { ...settings, headers },
    {
      insertInstant: stored.insertInstant,
      lastUpdateInstant: nowMs,
      sealedSigningKey: signingKey ? await sealSigningKey(env.ENCRYPTION_KEY, id, signingKey) : stored.sealedSigningKey,
    },
  );
  await save(
    env,
    webhooks.map((other) => (other.id === id ? webhook : other)),
  );
  return publicWebhook(webhook);
}

export async function deleteWebhook({ env }: Scope, id: string): Promise<void> {
  const webhooks = await readWebhooks(env.KV);
  if (!webhooks.some((webhook) => webhook.id === id)) throw fail({ kind: "not-found" });
  await save(
    env,
    webhooks.filter((webhook) => webhook.id !== id),
  );
}

/** The events no retry could deliver (oldest first, at most 100). */
export const deadLetters = ({ env }: Scope): Promise<DeadLetter[]> => listDeadLetters(env.KV);
