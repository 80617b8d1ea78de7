// What the webhook suites share (webhooks.test.ts, webhooks-boundaries.test.ts): creating a webhook
// through the API, an event message for one, the Worker's queue consumer run on it, and a receiver
// behind a URL (a spy on fetch that answers for that URL only).
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { newEvent, type EventMessage } from "../../src/domain/events";
import worker from "../../src/index";
import { call } from "../helpers";

export type WebhookBody = {
  id: string;
  url: string;
  eventsEnabled: Record<string, boolean>;
  headers: Record<string, string>;
  connectTimeout: number;
  readTimeout: number;
  description?: string;
  signatureConfiguration: { enabled: boolean; signingKey?: string };
  insertInstant: number;
  lastUpdateInstant: number;
};

export type WebhookAnswer = { webhook: WebhookBody; fieldErrors?: Record<string, { code: string }[]> };

export const RECEIVER = "https://receiver.example/hooks";
export const EVENTS_QUEUE = "legacy-two-factor-events";
export const SIGNING_KEY = "a-receiver-shared-signing-key-0123456789";

/** `POST /api/webhook` (or `path`), with `vars` for this request only. */
export async function create(webhook: Record<string, unknown>, path = "/api/webhook", vars?: Partial<Record<keyof Env, string>>) {
  const response = await call("POST", path, { body: { webhook }, vars });
  return { status: response.status, body: (await response.json()) as WebhookAnswer };
}

/** The field error codes of an answer, e.g. `[invalid]webhook.url`. */
export const errorCodes = (answer: WebhookAnswer) => Object.values(answer.fieldErrors ?? {}).flatMap((errors) => errors.map((error) => error.code));

/** A webhook subscribed to user.login.success at its own receiver URL. */
export async function deliveringWebhook(settings: Record<string, unknown> = {}) {
  const url = `https://receiver.example/deliveries/${crypto.randomUUID()}`;
  const { status, body } = await create({
    url,
    eventsEnabled: { "user.login.success": true },
    headers: { Authorization: "Bearer receiver-token" },
    signatureConfiguration: { enabled: true, signingKey: SIGNING_KEY },
    ...settings,
  });
  expect(status).toBe(200);
  return { id: body.webhook.id, url };
}

export const message = (webhookId: string): EventMessage => ({
  webhookId,
  event: newEvent(
    { type: "user.login.success", userId: crypto.randomUUID(), ipAddress: "203.0.113.9", info: { authenticationType: "PASSWORD", twoFactor: "code" } },
    crypto.randomUUID(),
    Date.now(),
  ),
});

/**
 * Runs the Worker's queue handler on one message (`attempts`: 1 for the first delivery) and answers
 * what it decided: acked, or retried after `retryDelays` seconds (the pool's result has no delays).
 */
export async function consume(body: EventMessage, attempts = 1, queue = EVENTS_QUEUE, bindings: Env = env) {
  const batch = createMessageBatch<EventMessage>(queue, [{ id: `message-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body }]);
  const retryDelays: Array<number | undefined> = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    vi.spyOn(message, "retry").mockImplementation((options) => {
      retryDelays.push(options?.delaySeconds);
      retry(options);
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings);
  return { ...(await getQueueResult(batch, ctx)), retryDelays };
}

/** A receiver behind `url` answering with `answer`; keeps the requests it got. */
export function receiver(url: string, answer: (request: Request) => Promise<Response> | Response = () => new Response(null, { status: 204 })) {
  const received: Request[] = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input, init);
    if (request.url !== url) return realFetch(input, init);
    received.push(request.clone());
    return Promise.resolve(answer(request));
  });
  return received;
}
