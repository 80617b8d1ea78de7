// The Webhook API (FusionAuth `/api/webhook`): create, retrieve, replace, delete; FusionAuth's defaults;
// the write-only signing key (generated, answered once, encrypted at rest); validation. And delivery,
// through the queue consumer (src/services/webhook-delivery.ts) given batches made by
// `createMessageBatch`: a receiver verifies the X-FusionAuth-Signature-JWT with the webhook's key;
// failures, timeouts and redirects are retried with the documented backoff; the dead-letter queue's
// consumer keeps what no retry delivered.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decrypt } from "../../src/crypto/keyring";
import type { EventMessage } from "../../src/domain/events";
import { DEAD_LETTER_QUEUE, retryDelaySeconds } from "../../src/services/webhook-delivery";
import { call, captureConsole } from "../helpers";
import { kvKeys } from "../storage";
import { consume, create, deliveringWebhook, EVENTS_QUEUE, message, RECEIVER, receiver, SIGNING_KEY, type WebhookBody } from "./webhooks-support";

describe("POST /api/webhook", () => {
  it("creates a webhook with FusionAuth's timeout defaults and a generated 256-bit signing key, answered once", async () => {
    const { status, body } = await create({ url: RECEIVER, eventsEnabled: { "user.login.success": true } });
    expect(status).toBe(200);
    const { webhook } = body;
    expect(webhook).toMatchObject({
      url: RECEIVER,
      eventsEnabled: { "user.login.success": true },
      headers: {},
      connectTimeout: 1000,
      readTimeout: 2000,
      signatureConfiguration: { enabled: true },
    });
    expect(webhook.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(webhook.insertInstant).toBe(webhook.lastUpdateInstant);
    // 32 CSPRNG bytes as Base64URL.
    expect(webhook.signatureConfiguration.signingKey).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const read = await call("GET", `/api/webhook/${webhook.id}`);
    expect(read.status).toBe(200);
    const { webhook: stored } = (await read.json()) as { webhook: WebhookBody };
    expect(stored.signatureConfiguration).toEqual({ enabled: true });
    expect(JSON.stringify(stored)).not.toContain(webhook.signatureConfiguration.signingKey);
  });

  it("keeps the signing key encrypted at rest, bound to its webhook", async () => {
    const signingKey = "a-signing-key-of-at-least-32-bytes-0123456789";
    const { body } = await create({ url: RECEIVER, signatureConfiguration: { enabled: true, signingKey } });
    expect(body.webhook.signatureConfiguration.signingKey).toBe(signingKey);
    const raw = (await env.KV.get(kvKeys.webhooks))!;
    expect(raw).not.toContain(signingKey);
    const stored = (JSON.parse(raw) as { id: string; sealedSigningKey: string }[]).find((webhook) => webhook.id === body.webhook.id)!;
    const opened = new TextDecoder().decode(await decrypt(env.ENCRYPTION_KEY, stored.sealedSigningKey, `webhooks.${stored.id}.signingKey`));
    expect(opened).toBe(signingKey);
    await expect(decrypt(env.ENCRYPTION_KEY, stored.sealedSigningKey, "webhooks.another-webhook.signingKey")).rejects.toThrow();
  });

  it("takes the id from the path, and refuses it twice", async () => {
    const id = crypto.randomUUID();
    const first = await create({ url: RECEIVER }, `/api/webhook/${id.toUpperCase()}`);
    expect(first.status).toBe(200);
    expect(first.body.webhook.id).toBe(id);
    const again = await create({ url: RECEIVER }, `/api/webhook/${id}`);
    expect(again.status).toBe(400);
    expect(again.body.fieldErrors?.webhookId?.[0]?.code).toBe("[duplicate]webhookId");
  });

  it("needs an API key", async () => {
    expect((await call("POST", "/api/webhook", { body: { webhook: { url: RECEIVER } }, apiKey: null })).status).toBe(401);
    expect((await call("GET", "/api/webhook", { apiKey: "not-a-key" })).status).toBe(401);
  });
});

describe("validation", () => {
  const invalid = [
    ["a missing url", {}, "[blank]webhook.url"],
    ["a url that is not http(s)", { url: "ftp://receiver.example/" }, "[invalid]webhook.url"],
    ["a javascript: url", { url: "javascript:alert(1)" }, "[invalid]webhook.url"],
    ["a zero timeout", { url: RECEIVER, connectTimeout: 0 }, "[invalid]webhook.connectTimeout"],
    ["a fractional timeout", { url: RECEIVER, readTimeout: 1.5 }, "[invalid]webhook.readTimeout"],
    ["a timeout in seconds as a string", { url: RECEIVER, readTimeout: "2" }, "[invalid]webhook.readTimeout"],
    ["an unknown event type", { url: RECEIVER, eventsEnabled: { "user.registration.create": true } }, "[invalid]webhook.eventsEnabled"],
    ["a header value with CR LF", { url: RECEIVER, headers: { "X-Token": "a\r\nX-Injected: 1" } }, "[invalid]webhook.headers.X-Token"],
    ["a header value with a bare LF", { url: RECEIVER, headers: { "X-Token": "a\nb" } }, "[invalid]webhook.headers.X-Token"],
    ["a header name that is not a token", { url: RECEIVER, headers: { "X Token": "a" } }, "[invalid]webhook.headers.X Token"],
    [
      "a header the delivery sets",
      { url: RECEIVER, headers: { "x-fusionauth-signature-jwt": "forged" } },
      "[reserved]webhook.headers.x-fusionauth-signature-jwt",
    ],
    ["a Content-Type header", { url: RECEIVER, headers: { "Content-Type": "text/plain" } }, "[reserved]webhook.headers.Content-Type"],
    ["a header value that is not a string", { url: RECEIVER, headers: { "X-Token": 1 } }, "[invalid]webhook.headers.X-Token"],
    [
      "a short signing key",
      { url: RECEIVER, signatureConfiguration: { enabled: true, signingKey: "too short" } },
      "[tooShort]webhook.signatureConfiguration.signingKey",
    ],
  ] as const;

  it.each(invalid)("refuses %s with a FusionAuth field error and stores nothing", async (_name, webhook, code) => {
    const before = await env.KV.get(kvKeys.webhooks);
    const { status, body } = await create(webhook);
    expect(status).toBe(400);
    expect(Object.values(body.fieldErrors ?? {}).flatMap((errors) => errors.map((error) => error.code))).toContain(code);
    expect(await env.KV.get(kvKeys.webhooks)).toBe(before);
  });

  it("refuses more than 20 headers", async () => {
    const headers = Object.fromEntries(Array.from({ length: 21 }, (_, index) => [`X-H${index}`, "v"]));
    const { status, body } = await create({ url: RECEIVER, headers });
    expect(status).toBe(400);
    expect(body.fieldErrors?.["webhook.headers"]?.[0]?.code).toBe("[tooMany]webhook.headers");
  });

  it("refuses a body that is not JSON, and a bad id in the path", async () => {
    expect((await call("POST", "/api/webhook", { body: "{not json" })).status).toBe(400);
    expect((await call("GET", "/api/webhook/not-a-uuid")).status).toBe(400);
    expect((await call("PUT", "/api/webhook/not-a-uuid", { body: { webhook: { url: RECEIVER } } })).status).toBe(400);
  });
});

describe("GET, PUT and DELETE /api/webhook/{id}", () => {
  it("lists, replaces (keeping the signing key unless a new one is given) and deletes", async () => {
    const { body } = await create({ url: RECEIVER, description: "SIEM", headers: { Authorization: "Bearer receiver-token" } });
    const { id, signatureConfiguration } = body.webhook;
    const listed = (await (await call("GET", "/api/webhook")).json()) as { webhooks: WebhookBody[] };
    expect(listed.webhooks.map((webhook) => webhook.id)).toContain(id);
    expect(JSON.stringify(listed)).not.toContain(signatureConfiguration.signingKey);

    const replaced = await call("PUT", `/api/webhook/${id}`, {
      body: { webhook: { url: "https://other-receiver.example/other", eventsEnabled: { "user.delete": true }, readTimeout: 500 } },
    });
    expect(replaced.status).toBe(200);
    const { webhook } = (await replaced.json()) as { webhook: WebhookBody };
    // PUT replaces: what the body leaves out is back to its default.
    expect(webhook).toEqual({
      id,
      url: "https://other-receiver.example/other",
      eventsEnabled: { "user.delete": true },
      headers: {},
      connectTimeout: 1000,
      readTimeout: 500,
      signatureConfiguration: { enabled: true },
      insertInstant: body.webhook.insertInstant,
      lastUpdateInstant: expect.any(Number),
    });
    const sealed = async () =>
      (JSON.parse((await env.KV.get(kvKeys.webhooks))!) as { id: string; sealedSigningKey: string }[]).find((w) => w.id === id)!.sealedSigningKey;
    const kept = await sealed();
    await call("PUT", `/api/webhook/${id}`, { body: { webhook: { url: RECEIVER } } });
    expect(await sealed()).toBe(kept);
    await call("PUT", `/api/webhook/${id}`, {
      body: { webhook: { url: RECEIVER, signatureConfiguration: { signingKey: "a-rotated-signing-key-of-32-bytes-or-more" } } },
    });
    expect(await sealed()).not.toBe(kept);

    expect((await call("DELETE", `/api/webhook/${id}`)).status).toBe(200);
    expect((await call("GET", `/api/webhook/${id}`)).status).toBe(404);
    expect((await call("DELETE", `/api/webhook/${id}`)).status).toBe(404);
    expect((await call("PUT", `/api/webhook/${id}`, { body: { webhook: { url: RECEIVER } } })).status).toBe(404);
  });

  it("answers 404 for an unknown webhook", async () => {
    expect((await call("GET", `/api/webhook/${crypto.randomUUID()}`)).status).toBe(404);
  });
});

describe("delivery (the queue consumer)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const base64Url = (bytes: Uint8Array) =>
    btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const fromBase64Url = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));

  /**
   * What a receiver does (https://fusionauth.io/docs/extend/events-and-webhooks/signing): verify the
   * JWT's HS256 signature with the webhook's signing key, then compare its `request_body_sha256` with
   * the Base64 SHA-256 of the exact body it received. Answers the claims, or null when either fails.
   */
  async function verifySignature(jwt: string, body: Uint8Array, signingKey: string): Promise<Record<string, unknown> | null> {
    const [header, payload, signature] = jwt.split(".");
    if (!header || !payload || !signature) return null;
    if ((JSON.parse(new TextDecoder().decode(fromBase64Url(header))) as { alg: string }).alg !== "HS256") return null;
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(signingKey), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    if (!(await crypto.subtle.verify("HMAC", key, fromBase64Url(signature), new TextEncoder().encode(`${header}.${payload}`)))) return null;
    const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(payload))) as Record<string, unknown>;
    const digest = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", body))));
    return claims.request_body_sha256 === digest ? claims : null;
  }

  it("POSTs the event, signed: a receiver verifies X-FusionAuth-Signature-JWT with the webhook's signing key", async () => {
    const webhook = await deliveringWebhook();
    const received = receiver(webhook.url);
    const body = message(webhook.id);
    const result = await consume(body);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request.method).toBe("POST");
    expect(request.headers.get("Content-Type")).toBe("application/json");
    expect(request.headers.get("Authorization")).toBe("Bearer receiver-token");
    const bytes = new Uint8Array(await request.arrayBuffer());
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({ event: body.event });
    const jwt = request.headers.get("X-FusionAuth-Signature-JWT")!;
    const claims = await verifySignature(jwt, bytes, SIGNING_KEY);
    expect(claims).toEqual({ iat: expect.any(Number), request_body_sha256: expect.any(String) });
    expect(Math.abs((claims!.iat as number) - Date.now() / 1000)).toBeLessThan(60);
    // Another key, or a body changed by one byte, does not verify.
    expect(await verifySignature(jwt, bytes, "another-signing-key-0123456789abcdef")).toBeNull();
    const tampered = bytes.slice();
    tampered[tampered.length - 2]! ^= 1;
    expect(await verifySignature(jwt, tampered, SIGNING_KEY)).toBeNull();
    // A forged token with the right hash but no key.
    const [header, payload] = jwt.split(".");
    expect(await verifySignature(`${header}.${payload}.${base64Url(new Uint8Array(32))}`, bytes, SIGNING_KEY)).toBeNull();
  });

  it("sends no signature when signing is disabled", async () => {
    const webhook = await deliveringWebhook({ signatureConfiguration: { enabled: false } });
    const received = receiver(webhook.url);
    expect((await consume(message(webhook.id))).explicitAcks).toHaveLength(1);
    expect(received[0]!.headers.has("X-FusionAuth-Signature-JWT")).toBe(false);
  });

  it("retries a failed delivery (5xx, 4xx, a redirect, a network error) after 10 s, doubling up to 10 minutes", async () => {
    const webhook = await deliveringWebhook();
    const answers: Array<() => Response> = [
      () => new Response("down", { status: 503 }),
      () => new Response(null, { status: 404 }),
      () => new Response(null, { status: 302, headers: { Location: "https://elsewhere.example/" } }),
      () => {
        throw new TypeError("Network connection lost.");
      },
    ];
    let next = 0;
    const received = receiver(webhook.url, () => answers[next++ % answers.length]!());
    const lines = captureConsole();
    const delays: number[] = [];
    for (const attempts of [1, 2, 3, 4]) {
      const result = await consume(message(webhook.id), attempts);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(...result.retryDelays.map(Number));
    }
    expect(delays).toEqual([10, 20, 40, 80]);
    expect(received).toHaveLength(4);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((attempts) => retryDelaySeconds(attempts))).toEqual([10, 20, 40, 80, 160, 320, 600, 600, 600, 600]);
    const failures = lines.filter((line) => line.includes('"webhook.failed"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(failures.map((line) => [line.status, line.error])).toEqual([
      [503, undefined],
      [404, undefined],
      [302, undefined],
      [undefined, "network"],
    ]);
    // The log names the webhook, never its URL (which can carry a credential).
    expect(lines.join("\n")).not.toContain(webhook.url);
  });

  it("WEBHOOK_RETRY_BASE_SECONDS sets the first retry delay (the e2e server uses 1 s)", async () => {
    const webhook = await deliveringWebhook();
    receiver(webhook.url, () => new Response(null, { status: 500 }));
    const fast = { ...env, WEBHOOK_RETRY_BASE_SECONDS: "1" };
    expect((await consume(message(webhook.id), 1, EVENTS_QUEUE, fast)).retryDelays).toEqual([1]);
    expect((await consume(message(webhook.id), 3, EVENTS_QUEUE, fast)).retryDelays).toEqual([4]);
    const invalid = { ...env, WEBHOOK_RETRY_BASE_SECONDS: "0" };
    expect((await consume(message(webhook.id), 1, EVENTS_QUEUE, invalid)).retryDelays).toEqual([10]);
  });

  it("gives up on a receiver slower than connectTimeout + readTimeout, and retries", async () => {
    const webhook = await deliveringWebhook({ connectTimeout: 50, readTimeout: 100 });
    // A receiver that never answers: the request ends only when the consumer aborts it.
    receiver(
      webhook.url,
      (request) =>
        new Promise<Response>((_resolve, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason));
        }),
    );
    const lines = captureConsole();
    const started = Date.now();
    const result = await consume(message(webhook.id));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.retryMessages).toHaveLength(1);
    expect(result.retryDelays).toEqual([10]);
    const failure = JSON.parse(lines.find((line) => line.includes('"webhook.failed"'))!) as Record<string, unknown>;
    expect(failure).toMatchObject({ webhookId: webhook.id, error: "timeout", attempt: 1, retryInSeconds: 10 });
  });

  it("acks without delivering an event its webhook no longer subscribes to, or for a deleted webhook", async () => {
    const webhook = await deliveringWebhook();
    const received = receiver(webhook.url);
    await call("PUT", `/api/webhook/${webhook.id}`, { body: { webhook: { url: webhook.url, eventsEnabled: { "user.delete": true } } } });
    expect((await consume(message(webhook.id))).explicitAcks).toHaveLength(1);
    await call("DELETE", `/api/webhook/${webhook.id}`);
    expect((await consume(message(webhook.id))).explicitAcks).toHaveLength(1);
    expect(received).toEqual([]);
  });

  it("keeps what reaches the dead-letter queue (after max_retries) and lists it at GET /api/webhook/dead-letters", async () => {
    const webhook = await deliveringWebhook();
    const received = receiver(webhook.url);
    const dead = message(webhook.id);
    const lines = captureConsole();
    const result = await consume(dead, 1, DEAD_LETTER_QUEUE);
    expect(result.explicitAcks).toHaveLength(1);
    // Dead letters are kept, not delivered again.
    expect(received).toEqual([]);
    // Delivered twice, kept once.
    await consume(dead, 2, DEAD_LETTER_QUEUE);
    const listed = (await (await call("GET", "/api/webhook/dead-letters")).json()) as { deadLetters: Array<EventMessage & { deadInstant: number }> };
    expect(listed.deadLetters.filter((letter) => letter.event.id === dead.event.id)).toEqual([
      { webhookId: webhook.id, event: dead.event, deadInstant: expect.any(Number) },
    ]);
    expect(lines.some((line) => line.includes('"webhook.dead"') && line.includes(dead.event.id))).toBe(true);
    expect((await call("GET", "/api/webhook/dead-letters", { apiKey: null })).status).toBe(401);
  });
});
