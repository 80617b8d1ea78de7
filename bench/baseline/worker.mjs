// The reference Worker the real endpoints are compared with: the smallest handler for each cost
// the real hot paths pay (nothing, one Durable Object RPC, one KV read, one PBKDF2 hash), and the
// two "floors", which do only the unavoidable work of each login step. It runs in the same
// workerd, through the same Miniflare entry, as the real Worker (bench/run.mjs).
import { DurableObject } from "cloudflare:workers";

const JSON_HEADERS = { "Content-Type": "application/json" };
const PASSWORD = new TextEncoder().encode("correct horse battery staple");
const SALT = new Uint8Array(32).fill(7);
const PBKDF2_ITERATIONS = 24_000;

/** Like the real UserGuard: SQLite-backed, synchronous KV API, one object per user. */
export class Counter extends DurableObject {
  // True until the first call after the constructor ran: the object was new, or it had been
  // evicted after a while idle and this call constructed it again (Lifecycle of a Durable Object,
  // https://developers.cloudflare.com/durable-objects/concepts/durable-object-lifecycle/).
  cold = true;

  /** Reads and writes one key; says whether this instance was just started. */
  touch() {
    const count = (this.ctx.storage.kv.get("state")?.count ?? 0) + 1;
    this.ctx.storage.kv.put("state", { count, at: Date.now() });
    const cold = this.cold;
    this.cold = false;
    return { count, cold };
  }
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
const counter = (env, name) => env.COUNTER.get(env.COUNTER.idFromName(name));

/** PBKDF2-SHA256 as src/domain/password.ts: Web Crypto deriveBits, 256 bits. */
async function pbkdf2() {
  const key = await crypto.subtle.importKey("raw", PASSWORD, "PBKDF2", false, ["deriveBits"]);
  return crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: SALT, iterations: PBKDF2_ITERATIONS }, key, 256);
}

// Keys and a stored TOTP secret for /2fa-floor, made on the first request (Workers allow no
// crypto.getRandomValues in global scope): a 256-bit AES-GCM key with a 20-byte secret encrypted
// under it (like a user record's twoFactorSecret) and an HS256 signing key, each imported once.
let twoFactorState;
async function makeTwoFactorState() {
  const aesKey = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const encryptedSecret = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, aesKey, crypto.getRandomValues(new Uint8Array(20)));
  const jwtKey = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return { aesKey, iv, encryptedSecret, jwtKey };
}

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
const JWT_HEADER = base64url(new TextEncoder().encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));

/** The TOTP codes of steps now, now − 1 and now + 1 (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1). */
async function totpWindow(secret) {
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const step = Math.floor(Date.now() / 30_000);
  return Promise.all(
    [step, step - 1, step + 1].map(async (counter) => {
      const message = new DataView(new ArrayBuffer(8));
      message.setUint32(4, counter);
      const mac = new DataView(await crypto.subtle.sign("HMAC", key, message));
      return String((mac.getUint32(mac.getUint8(19) & 0x0f) & 0x7fffffff) % 1_000_000).padStart(6, "0");
    }),
  );
}

/** An HS256 JWT (RFC 7519) with the claims of a FusionAuth access token. */
async function jwt(key, userId) {
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    sub: userId,
    iss: "acme.com",
    iat,
    exp: iat + 3600,
    jti: crypto.randomUUID(),
    authenticationType: "PASSWORD",
    aud: "10000000-0000-0002-0000-000000000001",
    applicationId: "10000000-0000-0002-0000-000000000001",
    email: `bench${userId}@example.com`,
  };
  const unsigned = `${JWT_HEADER}.${base64url(new TextEncoder().encode(JSON.stringify(claims)))}`;
  return `${unsigned}.${base64url(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(unsigned)))}`;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    // `?n=` picks the object / key, so the client spreads load like the real per-user objects.
    const n = url.searchParams.get("n") ?? String(Math.floor(Math.random() * 1000));
    if (request.method === "GET" && url.pathname === "/empty") return json({});
    if (request.method === "GET" && url.pathname === "/do") {
      const { count } = await counter(env, `user:${n}`).touch();
      return json({ count });
    }
    if (request.method === "GET" && url.pathname === "/kv") {
      const record = await env.KV.get(`v1:user:${n}`, "json");
      return record ? json({ id: record.id }) : new Response(null, { status: 404 });
    }
    if (request.method === "POST" && url.pathname === "/pbkdf2") {
      await request.arrayBuffer();
      return json({ length: (await pbkdf2()).byteLength });
    }
    // The password step: the user's record from KV, PBKDF2, and the user's object, which between
    // two logins of that user has been closed. 200 = that object was reopened for this call,
    // 201 = it was created (the run's set-up), 409 = it was still in memory (not a floor request).
    if (request.method === "POST" && url.pathname === "/login-floor") {
      await request.json();
      const record = await env.KV.get(`v1:user:${n}`, "json");
      if (!record) return new Response(null, { status: 404 });
      await pbkdf2();
      const { count, cold } = await counter(env, `closed:${n}`).touch();
      return json({ id: record.id }, count === 1 ? 201 : cold ? 200 : 409);
    }
    // The code step: the user's object, used seconds ago (open), decrypting the stored secret,
    // TOTP over the ±1 window and the access token. 200 = the object was in memory, 409 = it was not.
    // `on=closed` uses /login-floor's objects, just reopened by a password step, as a real login does.
    if (request.method === "POST" && url.pathname === "/2fa-floor") {
      const { code } = await request.json();
      twoFactorState ??= makeTwoFactorState();
      const { aesKey, iv, encryptedSecret, jwtKey } = await twoFactorState;
      const { cold } = await counter(env, `${url.searchParams.get("on") === "closed" ? "closed" : "user"}:${n}`).touch();
      const secret = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, aesKey, encryptedSecret);
      const codes = await totpWindow(secret);
      const token = await jwt(jwtKey, n);
      return json({ token, matched: codes.includes(code) }, cold ? 409 : 200);
    }
    return new Response(null, { status: 404 });
  },
};
