// The Webhook API (FusionAuth `/api/webhook`): create, retrieve, replace, delete; FusionAuth's defaults;
// the write-only signing key (generated, answered once, encrypted at rest); validation.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decrypt } from "../../src/domain/crypto";
import { call } from "../helpers";

type WebhookBody = {
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

async function create(webhook: Record<string, unknown>, path = "/api/webhook") {
  const response = await call("POST", path, { body: { webhook } });
  return { status: response.status, body: (await response.json()) as { webhook: WebhookBody; fieldErrors?: Record<string, { code: string }[]> } };
}

const RECEIVER = "https://receiver.example/hooks";

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
    const raw = (await env.KV.get("v1:webhooks"))!;
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
    const before = await env.KV.get("v1:webhooks");
    const { status, body } = await create(webhook);
    expect(status).toBe(400);
    expect(Object.values(body.fieldErrors ?? {}).flatMap((errors) => errors.map((error) => error.code))).toContain(code);
    expect(await env.KV.get("v1:webhooks")).toBe(before);
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
      body: { webhook: { url: "http://127.0.0.1:9/other", eventsEnabled: { "user.delete": true }, readTimeout: 500 } },
    });
    expect(replaced.status).toBe(200);
    const { webhook } = (await replaced.json()) as { webhook: WebhookBody };
    // PUT replaces: what the body leaves out is back to its default.
    expect(webhook).toEqual({
      id,
      url: "http://127.0.0.1:9/other",
      eventsEnabled: { "user.delete": true },
      headers: {},
      connectTimeout: 1000,
      readTimeout: 500,
      signatureConfiguration: { enabled: true },
      insertInstant: body.webhook.insertInstant,
      lastUpdateInstant: expect.any(Number),
    });
    const sealed = async () =>
      (JSON.parse((await env.KV.get("v1:webhooks"))!) as { id: string; sealedSigningKey: string }[]).find((w) => w.id === id)!.sealedSigningKey;
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
