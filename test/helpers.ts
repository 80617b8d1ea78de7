// Small request helpers shared by the API tests. Every test creates its own users, so tests do not
// depend on each other or on order (storage is shared within a file).
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import app from "../src/index";
import { keyFromSecret } from "../src/domain/secret";
import { totpCode } from "../src/crypto/totp";
import type { StoredWebhook } from "../src/kv/webhooks";
import type { EventMessage } from "../src/domain/events";

export const API_KEY = "test-api-key";
export const JWT_SIGNING_KEY = "test-jwt-signing-key-0123456789abcdef";
export const STEP_MS = 30_000;

export function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; apiKey?: string | null; vars?: Partial<Record<keyof Env, string>> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
  if (apiKey !== null) headers.Authorization ??= apiKey;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  // Through the app itself: `exports.default.fetch` slows down with every call it has made in a file
  // (about 30 ms per request after 600 requests on pool-workers 0.15), which long race tests cannot afford.
  // `vars` change settings for this request only: the Worker reads its config per request.
  return Promise.resolve(app.request(`http://localhost${path}`, { method, headers, body }, options.vars ? { ...env, ...options.vars } : env));
}

let counter = 0;
export function uniqueEmail(prefix = "user"): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}

export async function createUser(fields: Record<string, unknown> = {}): Promise<{ id: string; email: string; password: string }> {
  const email = uniqueEmail();
  const password = "correct horse battery";
  const response = await call("POST", "/api/user", { body: { user: { email, password, ...fields } } });
  if (response.status !== 200) throw new Error(`create user failed: ${response.status} ${await response.text()}`);
  const { user } = (await response.json()) as { user: { id: string; email: string } };
  return { id: user.id, email: user.email, password };
}

/** The code an authenticator app shows for `secret`, `steps` time steps from now. */
export async function codeFor(secret: string, steps = 0, nowMs = Date.now()): Promise<string> {
  return totpCode(keyFromSecret(secret)!, nowMs + steps * STEP_MS);
}

/** A user with authenticator 2FA enabled; the current step's code is used up by the enable. */
export async function createTwoFactorUser(fields: Record<string, unknown> = {}) {
  const user = await createUser(fields);
  const secretResponse = await call("GET", "/api/two-factor/secret");
  const { secret } = (await secretResponse.json()) as { secret: string };
  const enabled = await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery: "None" } });
  if (enabled.status !== 200) throw new Error(`enable failed: ${enabled.status} ${await enabled.text()}`);
  return { ...user, secret };
}

export async function login(loginId: string, password: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return call("POST", "/api/login", { body: { loginId, password, ...extra }, headers });
}

export async function startTwoFactorLogin(user: { email: string; password: string }): Promise<string> {
  const response = await login(user.email, user.password);
  if (response.status !== 242) throw new Error(`expected 242, got ${response.status}`);
  return ((await response.json()) as { twoFactorId: string }).twoFactorId;
}

// ---- Two-factor logins ----

/** A response "with an empty body": no content type and no bytes. */
export async function emptyResponse(response: Response): Promise<{ status: number; contentType: string | null; body: string }> {
  return { status: response.status, contentType: response.headers.get("Content-Type"), body: await response.text() };
}

/** A fresh Base64 secret from the API. */
export async function newSecret(): Promise<string> {
  const response = await call("GET", "/api/two-factor/secret");
  return ((await response.json()) as { secret: string }).secret;
}

/**
 * A user whose 2FA is switched on through the User API (`PATCH /api/user/{id}`), which needs no code:
 * unlike createTwoFactorUser, no time step is used up, so the previous, current and next steps all work.
 */
export async function createTwoFactorUserWithoutCode(fields: Record<string, unknown> = {}) {
  const user = await createUser(fields);
  const secret = await newSecret();
  const patched = await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: secret } } });
  if (patched.status !== 200) throw new Error(`patch failed: ${patched.status} ${await patched.text()}`);
  return { ...user, secret };
}

let wrongCodes = 0;

/**
 * A six-digit code that matches none of the steps from two before to two after `nowMs`, different
 * on every call: the server does not count a wrong code repeated within 10 s (a 421 retry) twice.
 */
export async function wrongCode(secret: string, nowMs = Date.now()): Promise<string> {
  const near = new Set(await Promise.all([-2, -1, 0, 1, 2].map((steps) => codeFor(secret, steps, nowMs))));
  for (;;) {
    wrongCodes += 1;
    const code = String((wrongCodes * 7919) % 1_000_000).padStart(6, "0");
    if (!near.has(code)) return code;
  }
}

/** Completes a two-factor login: no Authorization header, as the official client sends it. */
export function twoFactorLogin(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return call("POST", "/api/two-factor/login", { apiKey: null, body, headers });
}

/** The access token of a password-only login (the user must not have 2FA enabled yet). */
export async function accessToken(user: { email: string; password: string }): Promise<string> {
  const response = await login(user.email, user.password);
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** A JSON response's body; fails the test unless it carries `Content-Type: application/json`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read bodies field by field and assert on them
export async function jsonBody<T = Record<string, any>>(response: Response): Promise<T> {
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  return (await response.json()) as T;
}

/** A completed two-factor login with `trustComputer: true` (uses the current step's code). */
export async function trustedLogin(user: { email: string; password: string; secret: string }) {
  const response = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret), trustComputer: true });
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
  const { twoFactorTrustId } = (await response.clone().json()) as { twoFactorTrustId: string };
  return { response, trustId: twoFactorTrustId };
}

/** Every Set-Cookie header of a response (workerd has `getSetCookie`; the default workers-types do not declare it). */
export function setCookies(response: Response): string[] {
  return (response.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
}

// ---- The clock ----

/**
 * Freezes `Date` (Worker and Durable Objects share the test isolate) 10 s into the next TOTP time
 * step, so a test's codes are computed for a known step. Undo with `vi.useRealTimers()`.
 */
export function freezeClock(): number {
  vi.useFakeTimers({ toFake: ["Date"] });
  const start = Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS + 10_000;
  vi.setSystemTime(start);
  return start;
}

/** Moves the frozen clock forward. */
export function advanceClock(seconds: number): number {
  const now = Date.now() + seconds * 1000;
  vi.setSystemTime(now);
  return now;
}

/** A user with TextMessage 2FA switched on through the User API (no code used up), and its secret. */
export async function createTextMessageUser(mobilePhone: string) {
  const user = await createUser({ mobilePhone });
  const secret = await newSecret();
  const patched = await call("PATCH", `/api/user/${user.id}`, {
    body: { user: { twoFactorEnabled: true, twoFactorSecret: secret, twoFactorDelivery: "TextMessage" } },
  });
  if (patched.status !== 200) throw new Error(`patch failed: ${patched.status} ${await patched.text()}`);
  return { ...user, secret };
}

// ---- Faults and logs ----

function logText(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (arg instanceof Error) return `${arg.name}: ${arg.message}\n${arg.stack ?? ""}`;
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

/**
 * Silences console.log/info/warn/error/debug and returns the lines written from now on (the Worker
 * and its Durable Objects log through the test isolate's console). Undo with `vi.restoreAllMocks()`.
 */
export function captureConsole(): string[] {
  const lines: string[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(logText).join(" "));
    });
  }
  return lines;
}

/**
 * A Durable Object namespace like `namespace`, except that its stubs' `methods` reject with `error`.
 * For `app.request(path, init, { ...env, BINDING: failingNamespace(...) })`: only the Worker's own
 * calls fail; Durable Objects calling each other still use the real bindings.
 */
export function failingNamespace<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  methods: string[],
  error: Error = new Error("injected Durable Object failure"),
): DurableObjectNamespace<T> {
  return new Proxy(namespace, {
    get(target, property) {
      if (property === "get") {
        return (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) =>
          new Proxy(target.get(id, options), {
            get: (stub, name) => (typeof name === "string" && methods.includes(name) ? () => Promise.reject(error) : Reflect.get(stub, name)),
          });
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A stored webhook that subscribes to `type` only, for the tests that look at what `emit` enqueues. */
export const subscribedTo = (type: string): StoredWebhook => ({
  id: crypto.randomUUID(),
  url: "https://receiver.example/events",
  eventsEnabled: { [type]: true },
  headers: {},
  connectTimeout: 1000,
  readTimeout: 2000,
  signatureConfiguration: { enabled: false },
  insertInstant: 0,
  lastUpdateInstant: 0,
  sealedSigningKey: "",
});

/** Holds what `emit` enqueues from now on (the queue itself gets nothing): the messages, in order, in the array answered. */
export function recordEvents(): EventMessage[] {
  const sent: EventMessage[] = [];
  vi.spyOn(env.EVENTS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) sent.push(message.body as EventMessage);
    return { metadata: {} } as QueueSendBatchResponse;
  });
  return sent;
}
