// Webhooks end to end (issue #15): a real HTTP receiver on 127.0.0.1 gets the events of a 2FA life
// cycle from the `wrangler dev` server through its local Cloudflare Queue, signed the way FusionAuth
// signs them (https://fusionauth.io/docs/extend/events-and-webhooks/signing), and verified here with
// node:crypto. A receiver that is down when the first attempt comes gets the event from a retry once
// it is up: global-setup.ts runs the server with WEBHOOK_RETRY_BASE_SECONDS=1, so retries come after
// 1 s, 2 s, 4 s … instead of 10 s, 20 s, 40 s …, and with WEBHOOK_ALLOW_LOOPBACK=true, which lets
// webhooks reach 127.0.0.1 and nothing else that is not public. The verifiers docs/events-and-webhooks.md
// gives (its Web Crypto function and its walk-through's receiver), run as written, refuse a
// delivery signed more than 5 minutes ago: a captured delivery cannot be replayed later.
import { execFile } from "node:child_process";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TwoFactorDelivery } from "@fusionauth/typescript-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "./global-setup";
import { apiClient, authenticatorCode, createTestUser, e2e, raw, wrongCode, type TestUser } from "./support";

/** Where global-setup.ts keeps the server's output (its console lines included). */
const SERVER_LOG = join(import.meta.dirname, "..", "..", "test-results", "e2e", "wrangler.log");
const DELIVERY_TIMEOUT_MS = 30_000;

type WebhookEvent = { type: string; id: string; createInstant: number; userId?: string; info: Record<string, unknown> };
type Delivery = { headers: IncomingHttpHeaders; body: Buffer; event: WebhookEvent };

/** An HTTP receiver on 127.0.0.1 that answers 200 and keeps every delivery. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  private server: Server | null = null;

  async listen(port = 0): Promise<number> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks);
        this.deliveries.push({ headers: request.headers, body, event: (JSON.parse(body.toString("utf8")) as { event: WebhookEvent }).event });
        response.writeHead(200).end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The events received about `userId`, each once (delivery is at least once: de-duplicated by event id). */
  eventsOf(userId: string): WebhookEvent[] {
    const seen = new Set<string>();
    return this.deliveries.map((delivery) => delivery.event).filter((event) => event.userId === userId && !seen.has(event.id) && seen.add(event.id));
  }

  /** Waits until `userId` has an event for each entry of `types` (a type twice: two events of it; in any order). */
  async waitFor(userId: string, types: string[]): Promise<WebhookEvent[]> {
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    for (;;) {
      const events = this.eventsOf(userId);
      const count = (type: string, list: string[]) => list.filter((entry) => entry === type).length;
      const missing = types.filter((type) => events.filter((event) => event.type === type).length < count(type, types));
      if (!missing.length) return events;
      if (Date.now() > deadline) throw new Error(`no ${missing.join(", ")} for ${userId} within ${DELIVERY_TIMEOUT_MS} ms; got ${JSON.stringify(events)}`);
      await sleep(200);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What a receiver does: check the HS256 JWT in X-FusionAuth-Signature-JWT with the webhook's
 * signing key, then that its `request_body_sha256` is the Base64 SHA-256 of the exact body.
 */
function verifyDelivery(delivery: Delivery, signingKey: string): boolean {
  const jwt = delivery.headers["x-fusionauth-signature-jwt"];
  if (typeof jwt !== "string") return false;
  const [header, payload, signature] = jwt.split(".");
  if (!header || !payload || !signature) return false;
  if ((JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: string }).alg !== "HS256") return false;
  const expected = createHmac("sha256", signingKey).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { request_body_sha256?: string };
  return claims.request_body_sha256 === createHash("sha256").update(delivery.body).digest("base64");
}

/** Registers a webhook for every type this test looks at; answers its id and the signing key (shown once). */
async function registerWebhook(url: string): Promise<{ id: string; signingKey: string }> {
  const types = [
    "user.create",
    "user.login.success",
    "user.login.failed",
    "user.action",
    "user.two-factor.method.add",
    "user.two-factor.method.remove",
    "user.two-factor.recovery-code.used",
  ];
  const response = await raw("POST", "/api/webhook", {
    headers: { Authorization: e2e.apiKey },
    body: { webhook: { url, eventsEnabled: Object.fromEntries(types.map((type) => [type, true])), description: "e2e receiver" } },
  });
  expect(response.status).toBe(200);
  const { webhook } = JSON.parse(response.body) as { webhook: { id: string; signatureConfiguration: { signingKey: string } } };
  return { id: webhook.id, signingKey: webhook.signatureConfiguration.signingKey };
}

const client = apiClient();
const receiver = new Receiver();
const webhookIds: string[] = [];
let signingKey = "";

beforeAll(async () => {
  const port = await receiver.listen();
  const webhook = await registerWebhook(`http://127.0.0.1:${port}/fusionauth-events`);
  webhookIds.push(webhook.id);
  signingKey = webhook.signingKey;
});

afterAll(async () => {
  // Later suites' events must not go on being retried towards receivers that are gone.
  for (const id of webhookIds) await raw("DELETE", `/api/webhook/${id}`, { headers: { Authorization: e2e.apiKey } });
  await receiver.close();
});

/** Enables authenticator 2FA with the current step's code; the next success needs the next step's. */
async function enableAuthenticator(user: TestUser): Promise<string> {
  const { response } = await client.generateTwoFactorSecret();
  const { secret, secretBase32Encoded } = response!;
  const enabled = await client.enableTwoFactor(user.id, { code: authenticatorCode(secretBase32Encoded!), secret, delivery: TwoFactorDelivery.None });
  expect(enabled.statusCode).toBe(200);
  return secretBase32Encoded!;
}

async function startLogin(user: TestUser): Promise<string> {
  const response = await raw("POST", "/api/login", { headers: { Authorization: e2e.apiKey }, body: { loginId: user.email, password: user.password } });
  expect(response.status).toBe(242);
  return (JSON.parse(response.body) as { twoFactorId: string }).twoFactorId;
}

const completeLogin = (twoFactorId: string, code: string) => raw("POST", "/api/two-factor/login", { body: { twoFactorId, code } });

describe("a local receiver", () => {
  it("gets a 2FA life cycle, signed: enable, a failed code, a login, a recovery-code login, a disable with a recovery code", async () => {
    const user = await createTestUser("webhook");
    const secret = await enableAuthenticator(user);

    const twoFactorId = await startLogin(user);
    expect((await completeLogin(twoFactorId, wrongCode(secret))).status).toBe(421);
    expect((await completeLogin(twoFactorId, authenticatorCode(secret, 1))).status).toBe(200);

    const generated = await raw("POST", `/api/user/two-factor/recovery-code/${user.id}`, { headers: { Authorization: e2e.apiKey } });
    expect(generated.status).toBe(200);
    const { recoveryCodes } = JSON.parse(generated.body) as { recoveryCodes: string[] };
    expect((await completeLogin(await startLogin(user), recoveryCodes[0]!)).status).toBe(200);
    const disabled = await raw("DELETE", `/api/user/two-factor/${user.id}?code=${encodeURIComponent(recoveryCodes[1]!)}`, {
      headers: { Authorization: e2e.apiKey },
    });
    expect(disabled.status).toBe(200);

    const events = await receiver.waitFor(user.id, [
      "user.create",
      "user.two-factor.method.add",
      "user.login.failed",
      "user.login.success",
      "user.login.success",
      "user.two-factor.recovery-code.used",
      "user.two-factor.recovery-code.used",
      "user.two-factor.method.remove",
    ]);
    // The queue delivers in its own order, not the requests'.
    const summary = (type: string) => events.filter((event) => event.type === type).map((event) => event.info);
    expect(summary("user.two-factor.method.add")).toEqual([{ method: "authenticator", source: "enable" }]);
    expect(summary("user.login.failed")).toEqual([{ reason: "two-factor-code" }]);
    expect(summary("user.login.success").map((info) => info.twoFactor)).toEqual(expect.arrayContaining(["code", "recovery-code"]));
    expect(summary("user.two-factor.recovery-code.used").map((info) => info.remaining)).toEqual(expect.arrayContaining([9, 0]));
    expect(summary("user.two-factor.method.remove")).toEqual([{ method: "authenticator", source: "disable" }]);

    const deliveries = receiver.deliveries.filter((delivery) => delivery.event.userId === user.id);
    for (const delivery of deliveries) {
      expect(delivery.headers["content-type"]).toBe("application/json");
      expect(verifyDelivery(delivery, signingKey), delivery.event.type).toBe(true);
      expect(verifyDelivery(delivery, "not-the-webhook-signing-key-0123456789abc")).toBe(false);
    }
    // Nothing secret went out: not the password, the secret, a code or a recovery code.
    const text = Buffer.concat(deliveries.map((delivery) => delivery.body)).toString("utf8");
    for (const secretValue of [user.password, secret, twoFactorId, ...recoveryCodes]) expect(text).not.toContain(secretValue);
  });

  it("gets a lockout: five wrong passwords give five user.login.failed and a user.action", async () => {
    const user = await createTestUser("webhook-lockout");
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await raw("POST", "/api/login", { headers: { Authorization: e2e.apiKey }, body: { loginId: user.email, password: `wrong ${attempt}` } });
      expect(response.status).toBe(404);
    }
    const events = await receiver.waitFor(user.id, [...Array<string>(5).fill("user.login.failed"), "user.action"]);
    expect(events.find((event) => event.type === "user.action")!.info).toMatchObject({ action: "prevent-login", reason: "password" });
  });
});

describe("a receiver that is down for a while", () => {
  const late = new Receiver();

  afterAll(() => late.close());

  it("gets the event from a retry once it is up", async () => {
    // A port nothing listens on yet: the first attempt fails to connect.
    const [port] = await freePorts(1);
    const webhook = await registerWebhook(`http://127.0.0.1:${port}/late`);
    webhookIds.push(webhook.id);
    const user = await createTestUser("webhook-late");
    expect((await client.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);

    // The server's log shows the first attempt and its first retry failing for this webhook.
    const failedAttempts = () =>
      existsSync(SERVER_LOG)
        ? readFileSync(SERVER_LOG, "utf8")
            .split("\n")
            .filter((line) => line.includes('"webhook.failed"') && line.includes(webhook.id) && line.includes('"type":"user.login.success"'))
            .map((line) => /"attempt":(\d+)/.exec(line)?.[1])
        : [];
    for (const deadline = Date.now() + DELIVERY_TIMEOUT_MS; !failedAttempts().includes("2");) {
      if (Date.now() > deadline) throw new Error(`no second failed attempt logged for webhook ${webhook.id}: ${failedAttempts().join(", ")}`);
      await sleep(200);
    }
    expect(late.deliveries).toEqual([]);

    await late.listen(port);
    const events = await late.waitFor(user.id, ["user.create", "user.login.success"]);
    expect(events.find((event) => event.type === "user.login.success")!.info).toEqual({ authenticationType: "PASSWORD", twoFactor: "not-enabled" });
    for (const delivery of late.deliveries) expect(verifyDelivery(delivery, webhook.signingKey)).toBe(true);
  });
});

describe("the server's rules, with WEBHOOK_ALLOW_LOOPBACK=true", () => {
  it.each(["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "https://192.168.0.1/", "http://[fd00::1]/"])(
    "refuses %s: loopback is the only non-public host the development setting allows",
    async (url) => {
      const response = await raw("POST", "/api/webhook", { headers: { Authorization: e2e.apiKey }, body: { webhook: { url } } });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ fieldErrors: { "webhook.url": [{ code: "[invalid]webhook.url" }] } });
    },
  );

  it("never answers a header's value", async () => {
    const token = `Bearer ${"e2e-receiver-token-".repeat(2)}`;
    const created = await raw("POST", "/api/webhook", {
      headers: { Authorization: e2e.apiKey },
      body: { webhook: { url: "https://receiver.example/hooks", headers: { Authorization: token } } },
    });
    expect(created.status).toBe(200);
    const { id } = (JSON.parse(created.body) as { webhook: { id: string } }).webhook;
    webhookIds.push(id);
    const listed = await raw("GET", "/api/webhook", { headers: { Authorization: e2e.apiKey } });
    expect(created.body + listed.body).not.toContain(token);
    expect((JSON.parse(created.body) as { webhook: { headers: unknown } }).webhook.headers).toEqual({ Authorization: "" });
  });
});

describe("the documented verifiers (docs/events-and-webhooks.md), run as written", () => {
  const DOC = readFileSync(join(import.meta.dirname, "..", "..", "docs", "events-and-webhooks.md"), "utf8");
  const KEY = "a-receiver-shared-signing-key-0123456789";
  const USER_ID = "00000000-0000-4000-8000-000000000024";
  const body = Buffer.from(JSON.stringify({ event: { type: "user.login.success", id: "e", userId: USER_ID, user: { email: "replay@example.com" } } }));

  /** The X-FusionAuth-Signature-JWT FusionAuth would send for `body`, signed `ageSeconds` ago. */
  function signature(ageSeconds: number): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const claims = { iat: Math.floor(Date.now() / 1000) - ageSeconds, request_body_sha256: createHash("sha256").update(body).digest("base64") };
    const signed = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
    return `${signed}.${createHmac("sha256", KEY).update(signed).digest("base64url")}`;
  }

  it("the Web Crypto function refuses a delivery signed over 5 minutes ago (or ahead)", async () => {
    const code = /## Verifying a signature[\s\S]*?```js\n([\s\S]*?)```/.exec(DOC)![1]!;
    const verify = new Function(`${code}; return verifyFusionAuthSignature;`)() as (jwt: string, body: Uint8Array, key: string) => Promise<boolean>;
    expect(await verify(signature(2), body, KEY)).toBe(true);
    expect(await verify(signature(2), body, "another-signing-key-0123456789abcdef")).toBe(false);
    expect(await verify(signature(6 * 60), body, KEY)).toBe(false);
    expect(await verify(signature(24 * 3600), body, KEY)).toBe(false);
    expect(await verify(signature(-6 * 60), body, KEY)).toBe(false);
  });

  it("the walk-through's receiver answers 401 to a delivery signed over 5 minutes ago, and 200 to a fresh one", async () => {
    const script = /cat > "\$DIR\/receiver\.mjs" <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(DOC)![1]!;
    const dir = mkdtempSync(join(tmpdir(), "webhook-receiver-"));
    try {
      writeFileSync(join(dir, "receiver.mjs"), script);
      /** Starts the receiver, posts one delivery signed `ageSeconds` ago; answers the status and how the receiver ended. */
      const deliver = async (ageSeconds: number) => {
        const portFile = join(dir, `port-${ageSeconds}`);
        const ended = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            [join(dir, "receiver.mjs")],
            { env: { ...process.env, SIGNING_KEY: KEY, USER_ID, PORT_FILE: portFile }, timeout: 20_000 },
            (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
          );
        });
        for (const deadline = Date.now() + 10_000; !existsSync(portFile) || !readFileSync(portFile, "utf8");) {
          if (Date.now() > deadline) throw new Error("the receiver did not start");
          await sleep(50);
        }
        const response = await fetch(`http://127.0.0.1:${readFileSync(portFile, "utf8")}/`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-FusionAuth-Signature-JWT": signature(ageSeconds) },
          body,
        });
        return { status: response.status, ...(await ended) };
      };
      const replayed = await deliver(6 * 60);
      expect(replayed).toMatchObject({ status: 401, code: 1 });
      const fresh = await deliver(1);
      expect(fresh).toMatchObject({ status: 200, code: 0, stdout: "verified user.login.success of replay@example.com\n" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
