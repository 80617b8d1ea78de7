// The webhooks (FusionAuth Webhook API) in KV, as one document: they are configuration, written by an
// operator and read on every event. Each signing key is AES-GCM encrypted, bound to its webhook.
// Emitting an event reads the list at most once per isolate every few seconds; a change made through
// the API reaches this isolate at once, and others within seconds plus KV's propagation (up to a minute,
// https://developers.cloudflare.com/kv/concepts/how-kv-works/).
import { decrypt, encrypt } from "../crypto/keyring";
import type { EventType } from "../domain/events";
import { IsolateCopy } from "./isolate-copy";

/** What an operator sets (FusionAuth's field names); the signing key is separate and write-only. */
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

/** As stored: with the signing key sealed. */
export type StoredWebhook = Webhook & { sealedSigningKey: string };

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

export function sealSigningKey(encryptionKey: string | undefined, webhookId: string, signingKey: string): Promise<string> {
  return encrypt(encryptionKey, new TextEncoder().encode(signingKey), keyContext(webhookId));
}

/** Signing keys this isolate has decrypted, by their sealed form: deliveries then cost no AES-GCM. */
const signingKeys = new Map<string, string>();

export async function signingKeyOf(encryptionKey: string | undefined, webhook: StoredWebhook): Promise<string> {
  let key = signingKeys.get(webhook.sealedSigningKey);
  if (key === undefined) {
    key = new TextDecoder().decode(await decrypt(encryptionKey, webhook.sealedSigningKey, keyContext(webhook.id)));
    if (signingKeys.size >= MAX_WEBHOOKS) signingKeys.clear();
    signingKeys.set(webhook.sealedSigningKey, key);
  }
  return key;
}
