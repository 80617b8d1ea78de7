// Emitting an event (src/services/shared/events.ts) starts background work only when a webhook may
// subscribe to its type: while this isolate's copy of the webhooks is fresh and no webhook in it
// subscribes, nothing is handed to `waitUntil`. A stale copy is read again from KV, so a webhook
// another isolate added is not missed for longer than the copy's lifetime.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import type { EventMessage } from "../../src/domain/events";
import { WEBHOOK_CACHE_MS, writeWebhooks } from "../../src/kv/webhooks";
import { emit } from "../../src/services/shared/events";
import { newScope } from "../../src/services/shared/scope";
import { subscribedTo } from "../helpers";
import { kvKeys } from "../storage";

let sent: EventMessage[] = [];

beforeEach(() => {
  sent = [];
  vi.spyOn(env.EVENTS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) sent.push(message.body as EventMessage);
    return { metadata: {} } as QueueSendBatchResponse;
  });
});

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await writeWebhooks(env.KV, []);
});

/** A background that keeps what it is handed, so a test can count it and wait for it. */
function recordingBackground() {
  const started: Promise<unknown>[] = [];
  return { started, waitUntil: (promise: Promise<unknown>) => void started.push(promise) };
}

const recoveryCodeUsed = (userId: string) => ({ type: "user.two-factor.recovery-code.used" as const, userId, info: { remaining: 9 } });

it("starts no background work for an event no webhook subscribes to, while the isolate's copy is fresh", async () => {
  await writeWebhooks(env.KV, [subscribedTo("user.trust.issued")]);
  const background = recordingBackground();
  emit(newScope(env, background), recoveryCodeUsed(crypto.randomUUID()));
  expect(background.started).toHaveLength(0);
  expect(sent).toHaveLength(0);
});

it("enqueues an event a webhook subscribes to, one message per subscriber", async () => {
  const webhooks = [subscribedTo("user.two-factor.recovery-code.used"), subscribedTo("user.two-factor.recovery-code.used"), subscribedTo("user.trust.issued")];
  await writeWebhooks(env.KV, webhooks);
  const background = recordingBackground();
  const userId = crypto.randomUUID();
  emit(newScope(env, background), recoveryCodeUsed(userId));
  expect(background.started).toHaveLength(1);
  await Promise.all(background.started);
  expect(sent.map((message) => message.webhookId)).toEqual([webhooks[0]!.id, webhooks[1]!.id]);
  expect(sent.every((message) => message.event.userId === userId && message.event.type === "user.two-factor.recovery-code.used")).toBe(true);
});

it("reads a stale copy again: a subscriber that another isolate added gets the event", async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  await writeWebhooks(env.KV, []);
  const subscriber = subscribedTo("user.two-factor.recovery-code.used");
  // As another isolate writes it: KV changes, this isolate's copy does not.
  await env.KV.put(kvKeys.webhooks, JSON.stringify([subscriber]));

  const fresh = recordingBackground();
  emit(newScope(env, fresh), recoveryCodeUsed(crypto.randomUUID()));
  expect(fresh.started).toHaveLength(0);

  vi.setSystemTime(Date.now() + WEBHOOK_CACHE_MS);
  const stale = recordingBackground();
  emit(newScope(env, stale), recoveryCodeUsed(crypto.randomUUID()));
  expect(stale.started).toHaveLength(1);
  await Promise.all(stale.started);
  expect(sent.map((message) => message.webhookId)).toEqual([subscriber.id]);
});
