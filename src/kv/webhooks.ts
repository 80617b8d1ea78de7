// The webhooks (FusionAuth Webhook API) in KV, as one document: they are configuration, written by an
// operator and read on every event. Each signing key is AES-GCM encrypted, bound to its webhook, and
// so is each header's value (a header often carries the receiver's credential), bound to the
// webhook and the header's name.
// Emitting an event reads the list at most once per isolate every few seconds; a change made through
// the API reaches this isolate at once, and others within seconds plus KV's propagation (up to a minute,
// https://developers.cloudflare.com/kv/concepts/how-kv-works/).
import { openText, resealed, sealText } from "../crypto/keyring";
import type { EventType } from "../domain/events";
import { countKeys, recordsPerKey, type KeyCounts } from "../domain/key-rotation";
import { IsolateCopy } from "./isolate-copy";

/** What an operator sets (FusionAuth's field names); the signing key is separate and write-only, and so are the headers' values. */
export type WebhookSettings = {
  url: string;
  eventsEnabled: Partial<Record<EventType, boolean>>;
  headers: Record<string, string>;
  /** Milliseconds; the two together bound a delivery attempt. */
  connectTimeout: number;
  readTimeout: number;
  description?: string;
  signatureConfiguration: { enabled: boolean };
};

export type Webhook = WebhookSettings & { id: string; insertInstant: number; lastUpdateInstant: number };

/**
 * As stored: the signing key and the headers' values sealed. Webhooks stored before header values
 * were sealed have them in plain text (`headers`): read as they are, sealed when the list is next
 * written (`withSealedHeaders`).
 */
export type StoredWebhook = Omit<Webhook, "headers"> & { sealedSigningKey: string; sealedHeaders?: Record<string, string>; headers?: Record<string, string> };

const KEY = "v1:webhooks";
/**
 * At most this many webhooks: an event is enqueued for each subscriber in one batch, and a batch
 * holds at most 256 KB (https://developers.cloudflare.com/queues/platform/limits/).
 */
export const MAX_WEBHOOKS = 20;
/** How long an isolate answers "which webhooks are there" from memory. */
export const WEBHOOK_CACHE_MS = 5_000;

const recent = new IsolateCopy<StoredWebhook[]>(WEBHOOK_CACHE_MS);

/** The webhooks as stored now (the API's reads); refreshes this isolate's copy. */
export async function readWebhooks(kv: KVNamespace): Promise<StoredWebhook[]> {
  return recent.keep((await kv.get<StoredWebhook[]>(KEY, "json")) ?? []);
}

/** This isolate's copy of the webhooks, when it was read or written under WEBHOOK_CACHE_MS ago; else undefined. */
export const freshWebhooks = (): StoredWebhook[] | undefined => recent.fresh();

/** The webhooks as this isolate last read or wrote them, when that was under WEBHOOK_CACHE_MS ago (event emission and delivery). */
export async function recentWebhooks(kv: KVNamespace): Promise<StoredWebhook[]> {
  return freshWebhooks() ?? readWebhooks(kv);
}

export async function writeWebhooks(kv: KVNamespace, webhooks: StoredWebhook[]): Promise<void> {
  await kv.put(KEY, JSON.stringify(webhooks));
  recent.keep(webhooks);
}

const keyContext = (webhookId: string) => `webhooks.${webhookId}.signingKey`;
const headerContext = (webhookId: string, name: string) => `webhooks.${webhookId}.headers.${name}`;

export const sealSigningKey = (encryptionKey: string | undefined, webhookId: string, signingKey: string): Promise<string> =>
  sealText(encryptionKey, keyContext(webhookId), signingKey);

export const signingKeyOf = (encryptionKey: string | undefined, webhook: StoredWebhook): Promise<string> =>
  openText(encryptionKey, keyContext(webhook.id), webhook.sealedSigningKey);

/** Each header's value sealed, bound to webhook `webhookId` and the header's name. */
export async function sealHeaders(encryptionKey: string | undefined, webhookId: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const sealed = Object.entries(headers).map(async ([name, value]) => [name, await sealText(encryptionKey, headerContext(webhookId, name), value)] as const);
  return Object.fromEntries(await Promise.all(sealed));
}

/** A webhook's headers with their values: opened, or as stored in plain text before values were sealed. */
export async function headersOf(encryptionKey: string | undefined, webhook: StoredWebhook): Promise<Record<string, string>> {
  if (!webhook.sealedHeaders) return webhook.headers ?? {};
  const headers = Object.entries(webhook.sealedHeaders).map(
    async ([name, sealed]) => [name, await openText(encryptionKey, headerContext(webhook.id, name), sealed)] as const,
  );
  return Object.fromEntries(await Promise.all(headers));
}

/** The names of a webhook's headers (their values are write-only). */
export const headerNamesOf = (webhook: StoredWebhook): string[] => Object.keys(webhook.sealedHeaders ?? webhook.headers ?? {});

/** `webhook` with header values stored in plain text (before they were sealed) sealed. */
export async function withSealedHeaders(encryptionKey: string | undefined, webhook: StoredWebhook): Promise<StoredWebhook> {
  if (!webhook.headers) return webhook;
  const { headers, ...rest } = webhook;
  return { ...rest, sealedHeaders: await sealHeaders(encryptionKey, webhook.id, headers) };
}

/** Each webhook's sealed values with their contexts: the signing key, then the headers' values. */
function sealedValuesOf(webhook: StoredWebhook): { value: string; context: string }[] {
  const headers = Object.entries(webhook.sealedHeaders ?? {}).map(([name, value]) => ({ value, context: headerContext(webhook.id, name) }));
  return [{ value: webhook.sealedSigningKey, context: keyContext(webhook.id) }, ...headers];
}

/** How many webhooks use each key id. */
export const webhookKeyCounts = (webhooks: StoredWebhook[]): KeyCounts =>
  recordsPerKey(webhooks.map((webhook) => countKeys(sealedValuesOf(webhook).map(({ value }) => value))));

/**
 * The webhooks with every value sealed under the current key, written back when one was not (a value
 * whose key is missing from the setting stays as it is); answers the webhooks per key id after.
 */
export async function resealWebhooks(kv: KVNamespace, encryptionKey: string | undefined): Promise<KeyCounts> {
  const webhooks = await readWebhooks(kv);
  const reseal = (value: string, context: string) => resealed(encryptionKey, value, context).catch(() => value);
  const after = await Promise.all(
    webhooks.map(async (webhook) => {
      const sealedHeaders =
        webhook.sealedHeaders &&
        Object.fromEntries(
          await Promise.all(
            Object.entries(webhook.sealedHeaders).map(async ([name, value]) => [name, await reseal(value, headerContext(webhook.id, name))] as const),
          ),
        );
      return { ...webhook, sealedSigningKey: await reseal(webhook.sealedSigningKey, keyContext(webhook.id)), ...(sealedHeaders && { sealedHeaders }) };
    }),
  );
  if (JSON.stringify(after) !== JSON.stringify(webhooks)) await writeWebhooks(kv, after);
  return webhookKeyCounts(after);
}
