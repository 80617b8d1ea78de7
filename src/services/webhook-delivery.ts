// The queue consumer: delivers each event to its webhook, and keeps what no retry could deliver.
//
// Each message is one event for one webhook (src/services/shared/events.ts), so a retry re-sends to
// that webhook only. A delivery is a POST of `{"event": …}` with the webhook's headers, signed (see
// src/domain/webhook-signature.ts), bounded by connectTimeout + readTimeout; any answer but a 2xx, a
// timeout or a network error is a failure, retried after 10 s, 20 s, 40 s, … doubling up to 10 minutes
// (https://developers.cloudflare.com/queues/configuration/batching-retries/; the first delay is
// WEBHOOK_RETRY_BASE_SECONDS when set, which the e2e server sets to 1). With `max_retries = 10`
// in wrangler.toml the last attempt comes about 50 minutes after the first; then Queues moves the
// message to the dead-letter queue (https://developers.cloudflare.com/queues/configuration/dead-letter-queues/),
// whose consumer logs it and keeps it in KV (GET /api/webhook/dead-letters). Delivery is at least
// once: receivers de-duplicate by the event id. The url and headers are checked again at each
// delivery (src/domain/webhook-destination.ts), for webhooks stored before those rules: a url now
// refused is not fetched, and a header that belongs to the connection is left out.
import type { EventMessage } from "../domain/events";
import { headerProblem, webhookUrlProblem } from "../domain/webhook-destination";
import { SIGNATURE_HEADER } from "../domain/webhook-signature";
import { signBody } from "../crypto/webhook-signature";
import { keepDeadLetter } from "../kv/webhook-dead-letters";
import { headersOf, recentWebhooks, signingKeyOf, type StoredWebhook } from "../kv/webhooks";
import { readConfig } from "../kv/config";

/** The dead-letter queue's name, as in wrangler.toml: its batches are kept, not delivered. */
export const DEAD_LETTER_QUEUE = "legacy-two-factor-events-dead";

const FIRST_RETRY_SECONDS = 10;
const MAX_RETRY_SECONDS = 600;

/**
 * The wait before the next attempt, after `attempts` (1 for the first) have failed: `firstRetrySeconds`
 * (WEBHOOK_RETRY_BASE_SECONDS, default 10; local tests set 1) doubling up to 10 minutes.
 */
export const retryDelaySeconds = (attempts: number, firstRetrySeconds = FIRST_RETRY_SECONDS) =>
  Math.min(firstRetrySeconds * 2 ** (Math.max(attempts, 1) - 1), MAX_RETRY_SECONDS);

/** WEBHOOK_RETRY_BASE_SECONDS when it is a whole number of seconds from 1 to 600, else the default. */
function firstRetrySeconds(env: Env): number {
  const seconds = Number(env.WEBHOOK_RETRY_BASE_SECONDS);
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_RETRY_SECONDS ? seconds : FIRST_RETRY_SECONDS;
}

export async function consumeEvents(batch: MessageBatch<EventMessage>, env: Env): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE) return keepDeadLetters(batch, env);
  const webhooks = await recentWebhooks(env.KV);
  await Promise.all(batch.messages.map((message) => deliver(env, webhooks, message)));
}

type Attempt = { ok: true } | { ok: false; status?: number; error?: "timeout" | "network" };

async function deliver(env: Env, webhooks: StoredWebhook[], message: Message<EventMessage>): Promise<void> {
  const { webhookId, event } = message.body;
  const webhook = webhooks.find((candidate) => candidate.id === webhookId);
  const line = { webhookId, eventId: event.id, type: event.type, attempt: message.attempts };
  if (!webhook?.eventsEnabled[event.type]) {
    // Deleted, or no longer subscribed to this type, since the event was emitted.
    console.log(JSON.stringify({ event: "webhook.dropped", ...line }));
    return message.ack();
  }
  const refusal = webhookUrlProblem(webhook.url, readConfig(env).webhookAllowLoopback);
  if (refusal) {
    // A retry would meet the same rule: the event is dropped, and the line says why (not the url).
    console.warn(JSON.stringify({ event: "webhook.refused", ...line, reason: refusal }));
    return message.ack();
  }
  const attempt = await post(env, webhook, JSON.stringify({ event }));
  if (attempt.ok) {
    console.log(JSON.stringify({ event: "webhook.delivered", ...line }));
    return message.ack();
  }
  const delaySeconds = retryDelaySeconds(message.attempts, firstRetrySeconds(env));
  // The webhook's id, never its URL: a URL can carry a credential in its path or query.
  console.warn(JSON.stringify({ event: "webhook.failed", ...line, status: attempt.status, error: attempt.error, retryInSeconds: delaySeconds }));
  message.retry({ delaySeconds });
}

async function post(env: Env, webhook: StoredWebhook, text: string): Promise<Attempt> {
  const body = new TextEncoder().encode(text);
  const headers = new Headers();
  for (const [name, value] of Object.entries(await headersOf(env.ENCRYPTION_KEY, webhook))) if (!headerProblem(name)) headers.append(name, value);
  headers.set("Content-Type", "application/json");
  if (webhook.signatureConfiguration.enabled) headers.set(SIGNATURE_HEADER, await signBody(body, await signingKeyOf(env.ENCRYPTION_KEY, webhook), Date.now()));
  try {
    const response = await fetch(webhook.url, {
      method: "POST",
      headers,
      body,
      // A redirect is not followed: a receiver answers where it was configured, or the attempt failed.
      redirect: "manual",
      signal: AbortSignal.timeout(webhook.connectTimeout + webhook.readTimeout),
    });
    await response.body?.cancel();
    return response.ok ? { ok: true } : { ok: false, status: response.status };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return { ok: false, error: timedOut ? "timeout" : "network" };
  }
}

/** The dead-letter queue's consumer: one log line per event, and the event kept for operators. */
async function keepDeadLetters(batch: MessageBatch<EventMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const { webhookId, event } = message.body;
    console.error(JSON.stringify({ event: "webhook.dead", webhookId, eventId: event.id, type: event.type, createInstant: event.createInstant }));
    await keepDeadLetter(env.KV, message.body, Date.now());
    message.ack();
  }
}
