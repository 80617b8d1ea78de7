// Events no retry could deliver (the dead-letter queue's messages), kept for operators for 30 days.
// One key per event and webhook, so a dead letter delivered twice is kept once; keys sort by the
// event's time.
import type { EventMessage, WebhookEvent } from "../domain/events";

export type DeadLetter = { webhookId: string; event: WebhookEvent; deadInstant: number };

const PREFIX = "v1:webhook-dead-letter:";
const TTL_SECONDS = 30 * 86_400;
/** KV reads at most 100 keys in one call (https://developers.cloudflare.com/kv/api/read-key-value-pairs/). */
export const MAX_DEAD_LETTERS_LISTED = 100;

const keyOf = ({ webhookId, event }: EventMessage) => `${PREFIX}${String(event.createInstant).padStart(15, "0")}:${event.id}:${webhookId}`;

export async function keepDeadLetter(kv: KVNamespace, message: EventMessage, nowMs: number): Promise<void> {
  const letter: DeadLetter = { ...message, deadInstant: nowMs };
  await kv.put(keyOf(message), JSON.stringify(letter), { expirationTtl: TTL_SECONDS });
}

/** The oldest dead letters kept, up to MAX_DEAD_LETTERS_LISTED. */
export async function listDeadLetters(kv: KVNamespace): Promise<DeadLetter[]> {
  const { keys } = await kv.list({ prefix: PREFIX, limit: MAX_DEAD_LETTERS_LISTED });
  if (!keys.length) return [];
  const letters = await kv.get<DeadLetter>(
    keys.map((key) => key.name),
    "json",
  );
  return keys.flatMap((key) => letters.get(key.name) ?? []);
}
