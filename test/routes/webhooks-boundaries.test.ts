// What a webhook may reach and carry (issue #24, item 11): only public `https` hosts, however the
// address is spelled (loopback only with WEBHOOK_ALLOW_LOOPBACK, for local development); no
// hop-by-hop or framing header (`Connection: Upgrade` + `Upgrade: websocket` would turn a delivery
// into a body-less WebSocket handshake); header values write-only and AES-GCM encrypted at rest,
// bound to their webhook and name, and never sent to a url they were not given for. Webhooks stored
// before these rules (plain-text header values, a hop-by-hop header, a url now refused) are read
// and delivered safely.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decrypt } from "../../src/crypto/keyring";
import { call, captureConsole } from "../helpers";
import { editStoredWebhooks, storedWebhooks } from "../storage";
import { consume, create, deliveringWebhook, errorCodes, message, RECEIVER, receiver, type WebhookAnswer, type WebhookBody } from "./webhooks-support";

const LOOPBACK_ALLOWED = { WEBHOOK_ALLOW_LOOPBACK: "true" };

const put = async (id: string, webhook: Record<string, unknown>, vars?: Partial<Record<keyof Env, string>>) => {
  const response = await call("PUT", `/api/webhook/${id}`, { body: { webhook }, vars });
  return { status: response.status, body: (await response.json()) as WebhookAnswer };
};

const read = async (path: string) => JSON.stringify(await (await call("GET", path)).json());

// At most 20 webhooks can be stored: each test starts with none.
afterEach(async () => {
  vi.restoreAllMocks();
  await editStoredWebhooks((webhooks) => void webhooks.splice(0));
});

describe("the url: public https hosts only", () => {
  // The spellings first: the metadata service, a private address, and 127.0.0.1 as a
  // decimal number, in hex and shortened (the WHATWG parser reads all three as 127.0.0.1).
  const refused = [
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://127.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://127.1/",
    "https://[::ffff:169.254.169.254]/",
    "https://[fd00::1]/",
    "https://localhost/",
    "https://metadata.google.internal/",
    "https://intranet/",
    "http://receiver.example/hooks",
    "https://user:password@receiver.example/hooks",
  ];

  it.each(refused)("refuses %s with [invalid]webhook.url, and stores nothing", async (url) => {
    const before = await storedWebhooks();
    const { status, body } = await create({ url, eventsEnabled: { "user.login.success": true } });
    expect(status).toBe(400);
    expect(errorCodes(body)).toEqual(["[invalid]webhook.url"]);
    expect(await storedWebhooks()).toEqual(before);
  });

  it("refuses the same urls in a replace, which changes nothing", async () => {
    const { body } = await create({ url: RECEIVER });
    const before = await storedWebhooks();
    for (const url of refused) {
      const replaced = await put(body.webhook.id, { url });
      expect(replaced.status, url).toBe(400);
      expect(errorCodes(replaced.body)).toEqual(["[invalid]webhook.url"]);
    }
    expect(await storedWebhooks()).toEqual(before);
  });

  it("takes loopback hosts, over http too, only with WEBHOOK_ALLOW_LOOPBACK=true (local development)", async () => {
    for (const url of [
      "http://127.0.0.1:8787/hooks",
      "http://127.1/",
      "http://2130706433/",
      "http://[::1]:9000/",
      "http://localhost:3000/",
      "https://127.0.0.1/",
    ]) {
      expect((await create({ url })).status, url).toBe(400);
      const { status, body } = await create({ url }, "/api/webhook", LOOPBACK_ALLOWED);
      expect(status, url).toBe(200);
      expect(body.webhook.url).toBe(url);
    }
  });

  it("keeps refusing every other non-public host with WEBHOOK_ALLOW_LOOPBACK=true", async () => {
    for (const url of [
      "http://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/",
      "https://192.168.1.1/",
      "http://[fe80::1]/",
      "http://receiver.example/",
    ]) {
      const { status, body } = await create({ url }, "/api/webhook", LOOPBACK_ALLOWED);
      expect(status, url).toBe(400);
      expect(errorCodes(body)).toEqual(["[invalid]webhook.url"]);
    }
  });
});

describe("headers: none that belongs to the connection", () => {
  it("refuses Connection: Upgrade with Upgrade: websocket, each [invalid], and stores nothing", async () => {
    const before = await storedWebhooks();
    const { status, body } = await create({ url: RECEIVER, headers: { Connection: "Upgrade", Upgrade: "websocket" } });
    expect(status).toBe(400);
    expect(errorCodes(body).sort()).toEqual(["[invalid]webhook.headers.Connection", "[invalid]webhook.headers.Upgrade"]);
    expect(await storedWebhooks()).toEqual(before);
  });

  it.each([
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "transfer-encoding",
    "Host",
    "Content-Length",
    "Expect",
  ])("refuses %s", async (name) => {
    const { status, body } = await create({ url: RECEIVER, headers: { [name]: "x" } });
    expect(status).toBe(400);
    expect(errorCodes(body)).toEqual([`[invalid]webhook.headers.${name}`]);
  });
});

describe("header values: write-only, encrypted at rest", () => {
  const TOKEN = "Bearer receiver-secret-token-7f3a";

  it("never answers a value: the create, GET of one and GET of all list each name with an empty value", async () => {
    const { status, body } = await create({ url: RECEIVER, headers: { Authorization: TOKEN, "X-Tenant": "acme" } });
    expect(status).toBe(200);
    expect(body.webhook.headers).toEqual({ Authorization: "", "X-Tenant": "" });
    const one = await read(`/api/webhook/${body.webhook.id}`);
    expect(JSON.parse(one).webhook.headers).toEqual({ Authorization: "", "X-Tenant": "" });
    expect(one).not.toContain(TOKEN);
    expect(await read("/api/webhook")).not.toContain(TOKEN);
  });

  it("keeps each value AES-GCM encrypted in KV, bound to its webhook and name; deliveries carry it", async () => {
    const webhook = await deliveringWebhook({ headers: { Authorization: TOKEN } });
    expect(JSON.stringify(await storedWebhooks())).not.toContain(TOKEN);
    const stored = (await storedWebhooks()).find((candidate) => candidate.id === webhook.id)!;
    const sealed = stored.sealedHeaders!.Authorization!;
    const open = (context: string) => decrypt(env.ENCRYPTION_KEY, sealed, context).then((bytes) => new TextDecoder().decode(bytes));
    expect(await open(`webhooks.${webhook.id}.headers.Authorization`)).toBe(TOKEN);
    await expect(open(`webhooks.${crypto.randomUUID()}.headers.Authorization`)).rejects.toThrow();
    await expect(open(`webhooks.${webhook.id}.headers.X-Other`)).rejects.toThrow();

    const received = receiver(webhook.url);
    expect((await consume(message(webhook.id))).explicitAcks).toHaveLength(1);
    expect(received[0]!.headers.get("Authorization")).toBe(TOKEN);
  });

  it("a replace keeps a stored value sent back empty, as a GET lists it; a new value replaces; a name left out goes", async () => {
    const webhook = await deliveringWebhook({ headers: { Authorization: TOKEN, "X-Tenant": "acme", "X-Gone": "1" } });
    const listed = JSON.parse(await read(`/api/webhook/${webhook.id}`)) as { webhook: WebhookBody };
    const { "X-Gone": _gone, ...headers } = listed.webhook.headers;
    const replaced = await put(webhook.id, { url: webhook.url, eventsEnabled: { "user.login.success": true }, headers: { ...headers, "X-Tenant": "globex" } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.webhook.headers).toEqual({ Authorization: "", "X-Tenant": "" });

    const received = receiver(webhook.url);
    await consume(message(webhook.id));
    expect(received[0]!.headers.get("Authorization")).toBe(TOKEN);
    expect(received[0]!.headers.get("X-Tenant")).toBe("globex");
    expect(received[0]!.headers.has("X-Gone")).toBe(false);
  });

  it("a replace that changes the url needs the stored values again ([blank]), so they never follow it elsewhere", async () => {
    const webhook = await deliveringWebhook({ headers: { Authorization: TOKEN } });
    const before = await storedWebhooks();
    const moved = await put(webhook.id, { url: "https://attacker.example/collect", headers: { Authorization: "" } });
    expect(moved.status).toBe(400);
    expect(errorCodes(moved.body)).toEqual(["[blank]webhook.headers.Authorization"]);
    expect(await storedWebhooks()).toEqual(before);

    const given = await put(webhook.id, {
      url: "https://elsewhere.example/hooks",
      eventsEnabled: { "user.login.success": true },
      headers: { Authorization: "Bearer new" },
    });
    expect(given.status).toBe(200);
    const received = receiver("https://elsewhere.example/hooks");
    await consume(message(webhook.id));
    expect(received[0]!.headers.get("Authorization")).toBe("Bearer new");
  });
});

describe("webhooks stored before these rules", () => {
  /** Stores webhook `id` as it was kept before header values were encrypted. */
  const storePlainHeaders = (id: string, headers: Record<string, string>, url?: string) =>
    editStoredWebhooks((webhooks) => {
      const webhook = webhooks.find((candidate) => candidate.id === id)!;
      delete webhook.sealedHeaders;
      Object.assign(webhook, { headers }, url && { url });
    });

  it("with plain-text header values: delivered with them, listed without them, encrypted by the next write", async () => {
    const webhook = await deliveringWebhook();
    await storePlainHeaders(webhook.id, { Authorization: "Bearer stored-in-plain-text" });
    const received = receiver(webhook.url);
    expect((await consume(message(webhook.id))).explicitAcks).toHaveLength(1);
    expect(received[0]!.headers.get("Authorization")).toBe("Bearer stored-in-plain-text");
    expect(await read("/api/webhook")).not.toContain("stored-in-plain-text");

    // Any write of the list (here, another webhook's create) encrypts it.
    await create({ url: RECEIVER });
    expect(JSON.stringify(await storedWebhooks())).not.toContain("stored-in-plain-text");
    await consume(message(webhook.id));
    expect(received[1]!.headers.get("Authorization")).toBe("Bearer stored-in-plain-text");
  });

  it("with Connection: Upgrade and Upgrade: websocket: delivered as a POST with its body, without them", async () => {
    const webhook = await deliveringWebhook();
    await storePlainHeaders(webhook.id, { Connection: "Upgrade", Upgrade: "websocket", Authorization: "Bearer kept" });
    const received = receiver(webhook.url);
    const sent = message(webhook.id);
    expect((await consume(sent)).explicitAcks).toHaveLength(1);
    const request = received[0]!;
    expect(request.method).toBe("POST");
    expect(request.headers.has("Upgrade")).toBe(false);
    expect(request.headers.get("Connection")).toBeNull();
    expect(request.headers.get("Authorization")).toBe("Bearer kept");
    expect(JSON.parse(await request.text())).toEqual({ event: sent.event });
  });

  it("with a url now refused: not fetched, dropped, and logged without the url", async () => {
    const webhook = await deliveringWebhook();
    await storePlainHeaders(webhook.id, {}, "http://169.254.169.254/latest/meta-data/");
    const fetched = vi.spyOn(globalThis, "fetch");
    const lines = captureConsole();
    const result = await consume(message(webhook.id));
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect(fetched).not.toHaveBeenCalled();
    const refused = lines.find((line) => line.includes('"webhook.refused"'));
    expect(JSON.parse(refused!)).toMatchObject({ webhookId: webhook.id, reason: expect.any(String) });
    expect(lines.join("\n")).not.toContain("169.254.169.254");
  });
});
