// Small request helpers shared by the API tests. Every test creates its own users, so tests do not
// depend on each other or on order (storage is shared within a file).
import { exports } from "cloudflare:workers";
import { keyFromSecret } from "../src/domain/secret";
import { totpCode } from "../src/domain/totp";

export const API_KEY = "test-api-key";
export const JWT_SIGNING_KEY = "test-jwt-signing-key-0123456789abcdef";
export const STEP_MS = 30_000;

export function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; apiKey?: string | null } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
  if (apiKey !== null) headers.Authorization ??= apiKey;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  }
  return exports.default.fetch(`http://localhost${path}`, { method, headers, body });
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
