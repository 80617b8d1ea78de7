// Emitting an event: one queue message per subscribed webhook (src/services/webhook-delivery.ts delivers
// them), sent after the response through the request's `waitUntil`, so a login never waits for it.
// Nothing is sent when no webhook subscribes to the type; which webhooks exist is read at most once per
// isolate every few seconds (src/kv/webhooks.ts), and while that copy is fresh an event nobody
// subscribes to starts no background work at all. A failure to enqueue is logged, never the request's.
import { randomId } from "../../crypto/random";
import { newEvent, type EventInput, type EventMessage, type EventType } from "../../domain/events";
import { freshWebhooks, recentWebhooks, type StoredWebhook } from "../../kv/webhooks";
import type { Scope } from "./scope";

/**
 * Emits `input` (see src/domain/events.ts for every type and what it carries). Typed per event type:
 * e.g. `emit(scope, { type: "user.two-factor.recovery-code.used", userId, info: { remaining } })`.
 */
export function emit(scope: Scope, input: EventInput): void {
  if (mayHaveSubscribers(input.type)) scope.background.waitUntil(enqueue(scope.env, input, scope.now));
}

const subscribersOf = (webhooks: StoredWebhook[], type: EventType) => webhooks.filter((webhook) => webhook.eventsEnabled[type] === true);

/** False only when this isolate's fresh copy of the webhooks says nobody subscribes to `type`. */
function mayHaveSubscribers(type: EventType): boolean {
  const known = freshWebhooks();
  return !known || subscribersOf(known, type).length > 0;
}

async function enqueue(env: Env, input: EventInput, nowMs: number): Promise<void> {
  try {
    const subscribers = subscribersOf(await recentWebhooks(env.KV), input.type);
    if (!subscribers.length) return;
    const event = newEvent(input, randomId(), nowMs);
    await env.EVENTS.sendBatch(subscribers.map((webhook) => ({ body: { webhookId: webhook.id, event } satisfies EventMessage, contentType: "json" })));
  } catch (error) {
    console.error(JSON.stringify({ event: "event.enqueue.failed", type: input.type, error: error instanceof Error ? error.name : "non-error thrown" }));
  }
}
