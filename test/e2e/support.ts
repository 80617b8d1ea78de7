// Shared helpers of the end-to-end suite: the official clients pointed at the `wrangler dev` server
// that global-setup.ts started (1.22.2 for the legacy API, 1.45.0 and 1.69.0 for the Multi-Factor
// API), unique users and phone numbers, the fake Twilio's inbox, and TOTP codes from otplib (an
// implementation independent of the server's).
import { createHmac, randomBytes, randomInt } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { FusionAuthClient, type User } from "@fusionauth/typescript-client";
import { FusionAuthClient as FusionAuthClient145 } from "fusionauth-client-1.45";
import { FusionAuthClient as FusionAuthClient169 } from "fusionauth-client-1.69";
import { authenticator } from "otplib";
import { expect, inject } from "vitest";
import { DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, type FakeTwilioMessage } from "../fake-twilio/fake-twilio.mjs";
import "./context";

export const e2e = inject("e2e");

export const PASSWORD = "correct horse battery staple";
export const TWILIO_FROM = "+15005550006";
export const STEP_MS = 30_000;
export const SMS_CODE = /^Two Factor Code: (\d{6})$/;

/** The official client, as an application would build it. */
export function apiClient(tenantId?: string): FusionAuthClient {
  return new FusionAuthClient(e2e.apiKey, e2e.baseUrl, tenantId);
}

/** Today's official client (1.69.0), which speaks FusionAuth's Multi-Factor API (1.26+). */
export function currentClient(): FusionAuthClient169 {
  return new FusionAuthClient169(e2e.apiKey, e2e.baseUrl);
}

export type MultiFactorClient = FusionAuthClient145 | FusionAuthClient169;

/**
 * The Multi-Factor API's clients the suites run against: 1.45.0, whose calls send what every client
 * from 1.30 to 1.45 sent (no 1.26–1.29 build is on npm), and today's 1.69.0.
 */
export const multiFactorClients: ReadonlyArray<{ version: string; create: () => MultiFactorClient }> = [
  { version: "1.45.0", create: () => new FusionAuthClient145(e2e.apiKey, e2e.baseUrl) },
  { version: "1.69.0", create: currentClient },
];

/** What the client hands back, resolved or rejected (its ClientResponse class is a default export). */
export type Outcome<T = unknown> = { statusCode: number; response?: T; exception?: unknown };

/** The ClientResponse a call rejected with; fails when the call resolved instead. */
export async function rejection<T>(call: Promise<Outcome<T>>): Promise<Outcome<T>> {
  const outcome = await call.then(
    (resolved) => ({ resolved }),
    (rejected: Outcome<T>) => ({ rejected }),
  );
  if ("resolved" in outcome) throw new Error(`expected the call to reject, but it resolved with ${outcome.resolved.statusCode}`);
  return outcome.rejected;
}

/** Expects the empty error FusionAuth documents (401, 404, 421): the status and no parsed body. */
export async function expectEmptyRejection(call: Promise<Outcome>, statusCode: number): Promise<void> {
  const rejected = await rejection(call);
  expect(rejected.statusCode).toBe(statusCode);
  expect(rejected.exception).toBeUndefined();
}

/** Expects a FusionAuth Errors body with this general error code, e.g. "[TooManyRequests]". */
export async function expectGeneralError(call: Promise<Outcome>, statusCode: number, code: string): Promise<string> {
  const rejected = await rejection(call);
  expect(rejected.statusCode).toBe(statusCode);
  const errors = rejected.exception as { generalErrors?: Array<{ code: string; message: string }> };
  expect(errors.generalErrors?.map((error) => error.code)).toEqual([code]);
  return errors.generalErrors![0]!.message;
}

/** Expects a FusionAuth Errors body whose only error is this field's, e.g. ("methodId", "[invalid]methodId"). */
export async function expectFieldError(call: Promise<Outcome>, statusCode: number, field: string, code: string): Promise<void> {
  const rejected = await rejection(call);
  expect(rejected.statusCode).toBe(statusCode);
  const errors = rejected.exception as { fieldErrors?: Record<string, Array<{ code: string }>>; generalErrors?: unknown };
  expect(errors.generalErrors).toBeUndefined();
  expect(Object.keys(errors.fieldErrors ?? {})).toEqual([field]);
  expect(errors.fieldErrors![field]!.map((error) => error.code)).toEqual([code]);
}

export function twilioSettings() {
  return {
    enabled: true,
    accountSID: DEFAULT_ACCOUNT_SID,
    authToken: DEFAULT_AUTH_TOKEN,
    fromPhoneNumber: TWILIO_FROM,
    url: e2e.fakeTwilioUrl,
  };
}

/** Points the server's Twilio integration at the fake, through the client's Integrations call. */
export async function configureTwilio(): Promise<void> {
  const updated = await apiClient().updateIntegrations({ integrations: { twilio: twilioSettings() } });
  expect(updated.statusCode).toBe(200);
}

export function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(6).toString("hex")}@example.com`;
}

/** A fresh US number, as a user types it and as Twilio receives it. Never one of Twilio's magic +1500555 numbers. */
export function newPhone(): { typed: string; e164: string } {
  const area = [206, 212, 312, 415, 617, 650][randomInt(6)]!;
  const exchange = randomInt(200, 1000);
  const line = String(randomInt(10_000)).padStart(4, "0");
  return { typed: `(${area}) ${exchange}-${line}`, e164: `+1${area}${exchange}${line}` };
}

export type TestUser = { id: string; email: string; password: string; user: User };

/** Creates a user through the client (`createUser(null, …)`: the server picks the id). */
export async function createTestUser(label: string, fields: Partial<User> = {}, client = apiClient()): Promise<TestUser> {
  const email = uniqueEmail(label);
  const created = await client.createUser(null as unknown as string, { user: { email, password: PASSWORD, ...fields } });
  expect(created.statusCode).toBe(200);
  const user = created.response!.user!;
  return { id: user.id!, email, password: PASSWORD, user };
}

/** Messages the fake Twilio accepted for this E.164 number, oldest first. */
export async function messagesTo(e164: string): Promise<FakeTwilioMessage[]> {
  const response = await fetch(`${e2e.fakeTwilioUrl}/_fake/messages`);
  expect(response.status).toBe(200);
  return ((await response.json()) as FakeTwilioMessage[]).filter((message) => message.to === e164);
}

/** The code in the newest message to the phone, which got `count` messages so far. */
export async function newestCodeTo(e164: string, count: number): Promise<string> {
  const messages = await messagesTo(e164);
  expect(messages).toHaveLength(count);
  const newest = messages.at(-1)!;
  expect(newest.from).toBe(TWILIO_FROM);
  const match = SMS_CODE.exec(newest.body);
  expect(match, newest.body).not.toBeNull();
  return match![1]!;
}

/** The code in the one message the phone got so far. */
export function onlyCodeTo(e164: string): Promise<string> {
  return newestCodeTo(e164, 1);
}

/** Six digits that are not `code`. */
export function anotherCode(code: string): string {
  return code === "000000" ? "000001" : "000000";
}

/** The code an authenticator app shows for this Base32 secret, `steps` time steps from now (otplib). */
export function authenticatorCode(secretBase32Encoded: string, steps = 0): string {
  return authenticator.clone({ epoch: Date.now() + steps * STEP_MS }).generate(secretBase32Encoded);
}

/** Six digits that none of the steps from two before to two after now would produce. */
export function wrongCode(secretBase32Encoded: string): string {
  const near = new Set([-2, -1, 0, 1, 2].map((steps) => authenticatorCode(secretBase32Encoded, steps)));
  let candidate = randomInt(1_000_000);
  while (near.has(String(candidate).padStart(6, "0"))) candidate = (candidate + 1) % 1_000_000;
  return String(candidate).padStart(6, "0");
}

/** Logs in with the password and answers the twoFactorId of the 242 that must come back. */
export async function pendingLogin(
  user: { email: string; password: string },
  client: { login(request: { loginId: string; password: string }): Promise<Outcome<{ twoFactorId?: string }>> } = apiClient(),
): Promise<string> {
  const login = await client.login({ loginId: user.email, password: user.password });
  expect(login.statusCode).toBe(242);
  return login.response!.twoFactorId!;
}

/**
 * Adds an authenticator method through the Multi-Factor API with otplib's code of this time step
 * (used up: the user's next code must be a later step's). Answers the secret and the enable's body.
 */
export async function enableAuthenticatorMethod(client: MultiFactorClient, userId: string) {
  const { response: generated } = await client.generateTwoFactorSecret();
  const secret = generated!.secret!;
  const secretBase32Encoded = generated!.secretBase32Encoded!;
  const enabled = await client.enableTwoFactor(userId, { method: "authenticator", secret, code: authenticatorCode(secretBase32Encoded) });
  expect(enabled.statusCode).toBe(200);
  return { secret, secretBase32Encoded, response: enabled.response };
}

/** Adds an SMS method through the Multi-Factor API: a code sent to enable it, read from the fake Twilio. Answers the enable's body. */
export async function enableSmsMethod(client: MultiFactorClient, userId: string, phone: { typed: string; e164: string }) {
  const textedBefore = (await messagesTo(phone.e164)).length;
  const sent = await client.sendTwoFactorCodeForEnableDisable({ userId, method: "sms", mobilePhone: phone.typed });
  expect(sent.statusCode).toBe(200);
  const code = await newestCodeTo(phone.e164, textedBefore + 1);
  const enabled = await client.enableTwoFactor(userId, { method: "sms", mobilePhone: phone.typed, code });
  expect(enabled.statusCode).toBe(200);
  return enabled.response;
}

/** The authenticator configuration of every authenticator method (FusionAuth's only one). */
export const AUTHENTICATOR_CONFIGURATION = { algorithm: "HmacSHA1", codeLength: 6, timeStep: 30 };

/** Expects a method as the APIs show it: these fields, a four-character id, nothing else of its own (never a secret). */
export function expectMethod(method: object | undefined, fields: { method: string } & Record<string, unknown>): void {
  expect(method).toMatchObject({ id: expect.stringMatching(/^[A-Z0-9]{4}$/), ...fields });
  const shown = new Set(["id", "lastUsed", "name", ...Object.keys(fields)]);
  expect(Object.keys(method!).filter((key) => !shown.has(key))).toEqual([]);
}

/** The user's two-factor methods, as the User API shows them. */
export async function methodsOf(client: MultiFactorClient, userId: string) {
  const retrieved = await client.retrieveUser(userId);
  expect(retrieved.statusCode).toBe(200);
  return retrieved.response!.user!.twoFactor?.methods ?? [];
}

/** RFC 4648 Base32 without padding, to check `secretBase32Encoded` independently of the server. */
export function base32(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** Checks an HS256 JWT against `key` with node:crypto and returns its claims. */
export function verifiedClaims(token: string, key: string): Record<string, unknown> {
  const [header, payload, signature] = token.split(".");
  expect(JSON.parse(Buffer.from(header!, "base64url").toString("utf8"))).toMatchObject({ alg: "HS256" });
  expect(signature).toBe(createHmac("sha256", key).update(`${header}.${payload}`).digest("base64url"));
  return JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** A syntactically valid twoFactorId (43 Base64URL characters) that the server never issued. */
export function unknownTwoFactorId(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * A raw request, for what the client hides: headers and the exact body. Uses node:http rather than
 * fetch: WHATWG fetch (undici) re-sends a request that got a 421 on a new connection (Fetch
 * standard, HTTP-network-or-cache fetch), and Node 20's undici then fails with
 * UND_ERR_REQ_CONTENT_LENGTH_MISMATCH. The official client (node-fetch 2) does not retry.
 */
export function raw(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  headers["Content-Length"] = String(Buffer.byteLength(body ?? ""));
  return new Promise<{ status: number; contentType: string | null; body: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const request = httpRequest(`${e2e.baseUrl}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () =>
        resolve({
          status: response.statusCode!,
          contentType: response.headers["content-type"] ?? null,
          body: Buffer.concat(chunks).toString("utf8"),
          headers: response.headers,
        }),
      );
    });
    request.on("error", reject);
    request.end(body);
  });
}
