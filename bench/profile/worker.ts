// Cost of each step of the hot paths, measured one step at a time inside workerd. `GET /op/<name>?n=N`
// runs the step N times in one request, so HTTP costs are amortised; bench/profile.mjs reads the
// workerd process's CPU time around the request. The steps call the real modules from src/ where
// they are exported (encryption, TOTP, JWT, PBKDF2, API key comparison), and mirror the Durable
// Object storage calls of src/durable/*.ts otherwise. Bundled by esbuild; not part of the Worker.
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { secretsEqual } from "../../src/domain/compare";
import { issueAccessToken } from "../../src/domain/jwt";
import { hashPassword, verifyPassword } from "../../src/domain/password";
import { findMatchingStepIn, timeStep } from "../../src/domain/totp";
import { decrypt, encrypt } from "../../src/storage/encryption";

type Env = { OBJ: DurableObjectNamespace<Obj>; KV: KVNamespace; ENCRYPTION_KEY: string; JWT_SIGNING_KEY: string; API_KEYS: string };

/** Stand-in for UserGuard / LoginChallenge: SQLite-backed, synchronous KV API. */
export class Obj extends DurableObject<Env> {
  touch(): number {
    const state = this.ctx.storage.kv.get<{ count: number }>("state") ?? { count: 0 };
    state.count += 1;
    this.ctx.storage.kv.put("state", state);
    return state.count;
  }
  read(): unknown {
    return this.ctx.storage.kv.get("state") ?? null;
  }
  /** One RPC that makes another, like LoginChallenge.complete → UserGuard.checkCode. */
  async nested(target: string): Promise<number> {
    return this.env.OBJ.get(this.env.OBJ.idFromName(target)).touch();
  }
  /** LoginChallenge.create: one put and an alarm. */
  async createChallenge(expiresAt: number): Promise<void> {
    this.ctx.storage.kv.put("challenge", { userId: "u", generation: 1, noJWT: false, expiresAt, failedAttempts: 0, smsSends: 0 });
    await this.ctx.storage.setAlarm(expiresAt);
  }
  /** LoginChallenge.discard: alarm and storage gone. */
  async discard(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
  /** deleteAll alone. */
  async deleteAllOnly(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
  /** The cheaper alternative: the alarm and the one key (the object is left with an empty table). */
  async deleteAlarmAndKey(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    this.ctx.storage.kv.delete("challenge");
  }
  async alarm(): Promise<void> {}
}

const fusionAuthId = z.guid().transform((id) => id.toLowerCase());
// Same shape as src/routes/login.ts (module-local there).
const twoFactorLoginRequest = z.object({
  twoFactorId: z.string().min(1).max(128),
  code: z.string().trim().min(1).max(16),
  trustComputer: z.boolean().nullish(),
  applicationId: fusionAuthId.nullish(),
  ipAddress: z.string().max(64).nullish(),
  noJWT: z.boolean().nullish(),
  metaData: z.record(z.string(), z.unknown()).nullish(),
});
const TWO_FACTOR_LOGIN_BODY = JSON.stringify({ twoFactorId: "a".repeat(43), code: "123456", applicationId: "10000000-0000-0002-0000-000000000001", ipAddress: "192.0.2.10" });

let fixture: Promise<{ sealed: string; key: Uint8Array; code: string; steps: number[] }> | undefined;

async function setup(env: Env) {
  const key = crypto.getRandomValues(new Uint8Array(20));
  const sealed = await encrypt(env.ENCRYPTION_KEY, key, "two-factor-secret:u");
  const now = timeStep(Date.now());
  return { sealed, key, code: "000000", steps: [now, now - 1, now + 1] };
}

type Op = (env: Env, i: number, n: number) => Promise<unknown> | unknown;

let run = 0;
const ops: Record<string, Op> = {
  noop: () => undefined,
  "do-rpc": (env, i) => env.OBJ.get(env.OBJ.idFromName(`warm:${i % 200}`)).touch(),
  "do-rpc-read": (env, i) => env.OBJ.get(env.OBJ.idFromName(`warm:${i % 200}`)).read(),
  "do-rpc-nested": (env, i) => env.OBJ.get(env.OBJ.idFromName(`warm:${i % 200}`)).nested(`warm:${(i + 100) % 200}`),
  // Objects created earlier (by a "do-new-object"-like call on the same run) and closed since.
  "do-rpc-cold": (env, i) => env.OBJ.get(env.OBJ.idFromName(`cold:${run}:${i}`)).touch(),
  "do-new-object": (env, i) => env.OBJ.get(env.OBJ.idFromName(`new:${run}:${i}`)).touch(),
  "do-create-challenge": (env, i) => env.OBJ.get(env.OBJ.idFromName(`challenge:${run}:${i}`)).createChallenge(Date.now() + 300_000),
  // Discards the objects the preceding do-create-challenge request created (same run).
  "do-discard-challenge": (env, i) => env.OBJ.get(env.OBJ.idFromName(`challenge:${run}:${i}`)).discard(),
  "do-delete-all-only": (env, i) => env.OBJ.get(env.OBJ.idFromName(`challenge:${run}:${i}`)).deleteAllOnly(),
  "do-delete-alarm-and-key": (env, i) => env.OBJ.get(env.OBJ.idFromName(`challenge:${run}:${i}`)).deleteAlarmAndKey(),
  "kv-get-json": (env, i) => env.KV.get(`v1:user:${i % 200}`, "json"),
  "aes-gcm-decrypt": async (env) => decrypt(env.ENCRYPTION_KEY, (await fixture!).sealed, "two-factor-secret:u"),
  "totp-verify-3-steps": async () => {
    const f = await fixture!;
    return findMatchingStepIn(f.key, f.code, f.steps);
  },
  "jwt-issue": (env) => issueAccessToken({ id: "0b7e5c4e-0000-4000-8000-000000000001", email: "bench@example.com" }, { signingKey: env.JWT_SIGNING_KEY, issuer: "acme.com", ttlSeconds: 3600, applicationId: "10000000-0000-0002-0000-000000000001", nowMs: Date.now() }),
  "api-key-check": (env) => secretsEqual(env.API_KEYS, env.API_KEYS),
  "zod-parse-2fa-body": () => twoFactorLoginRequest.parse(JSON.parse(TWO_FACTOR_LOGIN_BODY)),
  "pbkdf2-24k": () => verifyPassword("bench-password-1", { encryptionScheme: "salted-pbkdf2-hmac-sha256", factor: 24_000, salt: "c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ=", hash: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }),
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/seed") {
      fixture ??= setup(env);
      await fixture;
      const record = JSON.stringify({ id: "u", email: "bench@example.com", password: await hashPassword("x", 1), twoFactorEnabled: true, pad: "x".repeat(400) });
      await Promise.all(Array.from({ length: 200 }, (_, i) => env.KV.put(`v1:user:${i}`, record)));
      return new Response("seeded");
    }
    const name = url.pathname.replace(/^\/op\//, "");
    const op = ops[name];
    if (!op) return new Response("unknown op", { status: 404 });
    fixture ??= setup(env);
    await fixture;
    const n = Number(url.searchParams.get("n") ?? "100");
    if (url.searchParams.get("newRun") === "1") run += 1;
    for (let i = 0; i < n; i++) await op(env, i, n);
    return new Response(JSON.stringify({ name, n }), { headers: { "Content-Type": "application/json" } });
  },
};
