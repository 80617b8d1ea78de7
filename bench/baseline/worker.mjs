// The reference Worker the real endpoints are compared with: the smallest handler for each cost
// the real hot paths pay (nothing, one Durable Object RPC, one KV read, one PBKDF2 hash). It runs
// in the same workerd, through the same Miniflare entry, as the real Worker (bench/run.mjs).
import { DurableObject } from "cloudflare:workers";

const JSON_HEADERS = { "Content-Type": "application/json" };
const PASSWORD = new TextEncoder().encode("correct horse battery staple");
const SALT = new Uint8Array(32).fill(7);
const PBKDF2_ITERATIONS = 24_000;

/** Like the real UserGuard: SQLite-backed, synchronous KV API, one object per user. */
export class Counter extends DurableObject {
  touch() {
    const value = (this.ctx.storage.kv.get("state")?.count ?? 0) + 1;
    this.ctx.storage.kv.put("state", { count: value, at: Date.now() });
    return value;
  }
}

const json = (body) => new Response(JSON.stringify(body), { headers: JSON_HEADERS });

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    // `?n=` picks the object / key, so the client spreads load like the real per-user objects.
    const n = url.searchParams.get("n") ?? String(Math.floor(Math.random() * 1000));
    if (request.method === "GET" && url.pathname === "/empty") return json({});
    if (request.method === "GET" && url.pathname === "/do") {
      const count = await env.COUNTER.get(env.COUNTER.idFromName(`user:${n}`)).touch();
      return json({ count });
    }
    if (request.method === "GET" && url.pathname === "/kv") {
      const record = await env.KV.get(`v1:user:${n}`, "json");
      return record ? json({ id: record.id }) : new Response(null, { status: 404 });
    }
    if (request.method === "POST" && url.pathname === "/pbkdf2") {
      await request.arrayBuffer();
      const key = await crypto.subtle.importKey("raw", PASSWORD, "PBKDF2", false, ["deriveBits"]);
      const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: SALT, iterations: PBKDF2_ITERATIONS }, key, 256);
      return json({ length: bits.byteLength });
    }
    return new Response(null, { status: 404 });
  },
};
