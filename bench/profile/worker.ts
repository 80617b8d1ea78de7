// Cost of each step of the hot paths, measured one step at a time inside workerd. `GET /op/<name>?n=N`
// runs the step N times in one request, so HTTP costs are amortised; bench/profile.mjs reads the
// workerd process's CPU time around the request. The steps call the real modules from src/ (request
// parsing, guard policy, twoFactorId sealing, encryption, TOTP, JWT, PBKDF2, the login-id index);
// the Durable Object steps use `Obj`, which mirrors the storage calls of src/objects/user-guard.ts,
// and the baseline Worker's `Counter` (bench/baseline/worker.mjs), the object of `/do` and
// `/2fa-floor`. Bundled by esbuild; not part of the Worker.
import { DurableObject } from "cloudflare:workers";
import type { Context } from "hono";
import { Counter } from "../baseline/worker.mjs";
import { secretsEqual } from "../../src/crypto/compare";
import type { Config } from "../../src/domain/config";
import { readConfig } from "../../src/kv/config";
import { encrypt, decrypt } from "../../src/crypto/keyring";
import { newGuard, type Account, type Guard } from "../../src/domain/account";
import { openChallenge } from "../../src/domain/challenges";
import { completeChallenge, decidePassword } from "../../src/domain/login";
import { hashPassword, verifyPassword } from "../../src/crypto/password";
import { findMatchingStepIn } from "../../src/crypto/totp";
import { timeStep } from "../../src/domain/totp";
import { loginIdName } from "../../src/crypto/login-id-name";
import { newChallengeKey, openTwoFactorId, sealTwoFactorId } from "../../src/crypto/two-factor-id";
import { publicUser, secretContext, type UserRecord } from "../../src/domain/user";
import { loginIndex } from "../../src/kv/users";
import { issueAccessToken } from "../../src/routes/http/jwt";
import { loginRequest, twoFactorLoginRequest } from "../../src/routes/http/requests";
import { readJson } from "../../src/routes/http/validate";

export { Counter };

type Env = {
  OBJ: DurableObjectNamespace<Obj>;
  COUNTER: DurableObjectNamespace;
  KV: KVNamespace;
  ENCRYPTION_KEY: string;
  JWT_SIGNING_KEY: string;
  API_KEYS: string;
};

const USER_ID = "0b7e5c4e-0000-4000-8000-000000000001";
const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
const DETAILS = { applicationId: APPLICATION_ID, ipAddress: "192.0.2.10", noJWT: false };
/** The bodies bench/run.mjs sends. */
const LOGIN_BODY = JSON.stringify({ loginId: "bench0@example.com", password: "bench-password-1", ...DETAILS });
const TWO_FACTOR_LOGIN_BODY = JSON.stringify({ twoFactorId: "a".repeat(43), code: "123456", ...DETAILS });
/** readJson needs only `c.req.text()`. */
const bodyOf = (text: string) => ({ req: { text: async () => text } }) as unknown as Context;

type Fixture = {
  config: Config;
  record: UserRecord;
  /** A user with two pending logins (the second under `challengeKey`), as the guard holds them. */
  account: Account;
  challengeKey: string;
  twoFactorId: string;
  key: Uint8Array;
  /** The record with a `data` field of 1 KB and 64 KB (the User API's maximum). */
  record1k: UserRecord;
  record64k: UserRecord;
};
let fixture: Promise<Fixture> | undefined;

async function setup(env: Env): Promise<Fixture> {
  const now = Date.now();
  const key = crypto.getRandomValues(new Uint8Array(20));
  // A user as bench/run.mjs creates them (email, password, mobilePhone), then 2FA enabled.
  const record: UserRecord = {
    id: USER_ID,
    tenantId: "a8b7e1f0-0000-4000-8000-000000000000",
    email: "bench0@example.com",
    mobilePhone: "+15555550100",
    active: true,
    verified: true,
    passwordChangeRequired: false,
    insertInstant: now,
    lastUpdateInstant: now,
    passwordLastUpdateInstant: now,
    password: await hashPassword("bench-password-1", 24_000),
    twoFactorEnabled: true,
    twoFactorDelivery: "None",
    twoFactorSecret: await encrypt(env.ENCRYPTION_KEY, key, secretContext(USER_ID)),
  };
  const config = readConfig(env as never);
  const guard: Guard = { ...newGuard("bench"), generation: 1, lastAcceptedStep: timeStep(now) - 40 };
  let account: Account = { version: 3, user: record, guard };
  const challengeKey = newChallengeKey();
  account = openChallenge(account, newChallengeKey(), DETAILS, now, config);
  account = openChallenge(account, challengeKey, DETAILS, now, config);
  const twoFactorId = await sealTwoFactorId(env.ENCRYPTION_KEY, USER_ID, challengeKey);
  const withData = (bytes: number) => ({ ...record, data: { notes: "x".repeat(bytes) } });
  return { config, record, account, challengeKey, twoFactorId, key, record1k: withData(1024), record64k: withData(65_536) };
}

/** Stored beside the record, as UserGuard stores it. */
const storedGuard = (account: Account) => ({ version: account.version, guard: account.guard });

/** Stand-in for UserGuard: loads "user" and "guard" when constructed, writes one key per change. */
export class Obj extends DurableObject<Env> {
  private user: UserRecord | undefined;
  private guard: { version: number; guard: Guard } | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.user = ctx.storage.kv.get("user");
    this.guard = ctx.storage.kv.get("guard");
  }
  /** An RPC that touches no storage: the cost of the call itself. */
  read(): number {
    return this.guard?.version ?? 0;
  }
  seed(user: UserRecord, guard: ReturnType<typeof storedGuard>): void {
    this.ctx.storage.kv.put("user", user);
    this.ctx.storage.kv.put("guard", guard);
    this.user = user;
    this.guard = guard;
  }
  /** One put of `value` under `key` (the guard state or the whole record). */
  put(key: "guard" | "user", value: unknown): void {
    this.ctx.storage.kv.put(key, value);
  }
  /** The alarm a login sets for its pending login's expiry. */
  async arm(at: number): Promise<void> {
    await this.ctx.storage.setAlarm(at);
  }
  /**
   * UserGuard.login's and completeLogin's storage: the state loaded by the constructor, one put of
   * the next guard state, and the public user back to the Worker (completeLogin) or a short key (login).
   */
  commit(next: ReturnType<typeof storedGuard>, answerUser: boolean): unknown {
    this.ctx.storage.kv.put("guard", next);
    this.guard = next;
    return answerUser ? publicUser(this.user!, Date.now()) : { outcome: "challenge", challengeKey: "k".repeat(22) };
  }
  async alarm(): Promise<void> {}
}

type Op = (env: Env, i: number, f: Fixture) => Promise<unknown> | unknown;

let run = 0;
const obj = (env: Env, name: string) => env.OBJ.get(env.OBJ.idFromName(name));
const warm = (env: Env, i: number) => obj(env, `warm:${i % 200}`);
const counter = (env: Env, name: string) => env.COUNTER.get(env.COUNTER.idFromName(name)) as unknown as { touch(): Promise<unknown> };

const ops: Record<string, Op> = {
  noop: () => undefined,
  // The Worker's side of each step.
  "api-key-check": (env) => secretsEqual(env.API_KEYS, env.API_KEYS),
  "parse-login-body": () => readJson(bodyOf(LOGIN_BODY), loginRequest),
  "parse-2fa-body": () => readJson(bodyOf(TWO_FACTOR_LOGIN_BODY), twoFactorLoginRequest),
  "login-index-get": async (env, i) => loginIndex(env.KV).userIdFor(await loginIdName(`bench${i % 200}@example.com`)),
  "seal-two-factor-id": (env) => sealTwoFactorId(env.ENCRYPTION_KEY, USER_ID, newChallengeKey()),
  "open-two-factor-id": (env, _i, f) => openTwoFactorId(env.ENCRYPTION_KEY, f.twoFactorId),
  "jwt-issue": (env, _i, f) =>
    issueAccessToken(publicUser(f.record), {
      signingKey: env.JWT_SIGNING_KEY,
      issuer: "acme.com",
      ttlSeconds: 3600,
      applicationId: APPLICATION_ID,
      nowMs: Date.now(),
    }),
  // Inside the object.
  "pbkdf2-24k": (_env, _i, f) => verifyPassword("bench-password-1", f.record.password),
  "guard-structured-clone": (_env, _i, f) => structuredClone(f.account.guard),
  "policy-login": (_env, _i, f) => {
    // The source of the bench's requests (ipAddress 192.0.2.10), no trust id.
    const decision = decidePassword(f.account, true, { network: "192.0.2.0/24" }, Date.now(), f.config);
    return openChallenge(decision.next ?? f.account, "k".repeat(22), DETAILS, Date.now(), f.config);
  },
  "policy-complete": (_env, _i, f) =>
    completeChallenge(f.account, f.challengeKey, { code: "123456", step: timeStep(Date.now()) }, undefined, Date.now(), f.config),
  "aes-gcm-decrypt": (env, _i, f) => decrypt(env.ENCRYPTION_KEY, f.record.twoFactorSecret!, secretContext(USER_ID)),
  "totp-verify-3-steps": (_env, _i, f) => {
    const now = timeStep(Date.now());
    return findMatchingStepIn(f.key, "000000", [now, now - 1, now + 1]);
  },
  // Durable Object calls: 200 warm objects, or objects seeded earlier and closed since.
  "do-rpc-read": (env, i) => warm(env, i).read(),
  "do-floor-touch": (env, i) => counter(env, `user:${i % 200}`).touch(),
  "do-commit-warm": (env, i, f) => warm(env, i).commit(storedGuard(f.account), true),
  "do-put-guard": (env, i, f) => warm(env, i).put("guard", storedGuard(f.account)),
  "do-put-record": (env, i, f) => warm(env, i).put("user", f.record),
  "do-put-record-1k": (env, i, f) => warm(env, i).put("user", f.record1k),
  "do-put-record-64k": (env, i, f) => warm(env, i).put("user", f.record64k),
  "do-set-alarm": (env, i) => warm(env, i).arm(Date.now() + 300_000),
  // Objects of this run (`newRun=1` starts one): seeded, then reopened after they closed, as a user's
  // guard by a login (commit, then setAlarm); `do-commit-reopened` is the next call, as the code step's.
  "seed-closed": (env, i, f) => obj(env, `closed:${run}:${i}`).seed(f.record, storedGuard(f.account)),
  "do-commit-closed": (env, i, f) => obj(env, `closed:${run}:${i}`).commit(storedGuard(f.account), false),
  "arm-run": (env, i) => obj(env, `closed:${run}:${i}`).arm(Date.now() + 300_000),
  "do-commit-reopened": (env, i, f) => obj(env, `closed:${run}:${i}`).commit(storedGuard(f.account), true),
  // The same history for the floor's object.
  "floor-touch-run": (env, i) => counter(env, `closed:${run}:${i}`).touch(),
  "do-floor-touch-reopened": (env, i) => counter(env, `closed:${run}:${i}`).touch(),
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    fixture ??= setup(env);
    const f = await fixture;
    if (url.pathname === "/seed") {
      await Promise.all(Array.from({ length: 200 }, (_, i) => warm(env, i).seed(f.record, storedGuard(f.account))));
      await Promise.all(Array.from({ length: 200 }, async (_, i) => loginIndex(env.KV).put(await loginIdName(`bench${i}@example.com`), USER_ID)));
      const sizes = { guard: storedGuard(f.account), record: f.record, record1k: f.record1k, record64k: f.record64k, publicUser: publicUser(f.record) };
      return Response.json(Object.fromEntries(Object.entries(sizes).map(([name, value]) => [name, JSON.stringify(value).length])));
    }
    const name = url.pathname.replace(/^\/op\//, "");
    const op = ops[name];
    if (!op) return new Response("unknown op", { status: 404 });
    const n = Number(url.searchParams.get("n") ?? "100");
    if (url.searchParams.get("newRun") === "1") run += 1;
    for (let i = 0; i < n; i++) await op(env, i, f);
    return Response.json({ name, n });
  },
};
