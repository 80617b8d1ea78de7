// Tokens and credentials on the wire: the cookies' attributes, twoFactorIds (8 CSPRNG bytes, the
// encrypted user id and a tag) and trust ids (32 CSPRNG bytes), 43-char Base64URL, never repeating; JWT algorithm confusion beyond the cases in
// test/domain/jwt.test.ts, and oversized Authorization headers on every authenticated route. A stolen
// access token cannot weaken the second factor, and stops working when the user's access changes.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "../../src/domain/encoding";
import { issueAccessToken } from "../../src/routes/http/jwt";
import { keyFromSecret } from "../../src/domain/secret";
import { timeStep } from "../../src/domain/totp";
import { hotp } from "../../src/crypto/totp";
import { newChallengeKey, openTwoFactorId, sealTwoFactorId } from "../../src/crypto/two-factor-id";
import app from "../../src/index";
import { openApiDocument } from "../../src/routes/http/openapi-document";
import {
  accessToken,
  API_KEY,
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  freezeClock,
  jsonBody,
  JWT_SIGNING_KEY,
  login,
  newSecret,
  setCookies,
  startTwoFactorLogin,
  STEP_MS,
  twoFactorLogin,
  wrongCode,
} from "../helpers";
import { editAccount, readAccount, userGuardOf } from "../storage";

const ID = /^[A-Za-z0-9_-]{43}$/;
const EMPTY_401 = { status: 401, contentType: null, body: "" };

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/**
 * Each of the 256 bits is one in about half of the ids: over 1,000 ids a fair generator gives 500 ± 16
 * (σ), so the 400–600 band fails one in about 10^9 runs.
 */
function expectBalanced(ids: string[]): void {
  const ones = new Array<number>(256).fill(0);
  for (const id of ids) {
    const bytes = decodeBase64Url(id)!;
    expect(bytes).toHaveLength(32);
    bytes.forEach((byte, index) => {
      for (let bit = 0; bit < 8; bit++) ones[index * 8 + bit]! += (byte >> bit) & 1;
    });
  }
  const outside = ones.filter((count) => count < ids.length * 0.4 || count > ids.length * 0.6);
  expect(outside, "bit positions far from one half").toEqual([]);
}

describe("cookies", () => {
  it("sets fusionauth.trust and access_token HttpOnly, Secure, SameSite=Lax, Path=/ with their lifetimes as Max-Age", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const response = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret), trustComputer: true });
    expect(response.status).toBe(200);
    const cookies = setCookies(response);
    const trust = cookies.find((cookie) => cookie.startsWith("fusionauth.trust="));
    const access = cookies.find((cookie) => cookie.startsWith("access_token="));
    for (const [cookie, maxAge] of [
      [trust, 2_592_000],
      [access, 3600],
    ] as const) {
      expect(cookie).toBeDefined();
      const attributes = cookie!
        .split(";")
        .slice(1)
        .map((part) => part.trim().toLowerCase());
      expect(attributes).toEqual(expect.arrayContaining(["httponly", "secure", "samesite=lax", "path=/", `max-age=${maxAge}`]));
    }
  });
});

describe("twoFactorIds and trust ids", () => {
  it("take their randomness from crypto.getRandomValues: all of a trust id, the first 8 bytes of a twoFactorId", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const marked = new Uint8Array(32).fill(7);
    vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      new Uint8Array(array!.buffer, array!.byteOffset, array!.byteLength).set(marked.subarray(0, array!.byteLength));
      return array;
    });
    const twoFactorId = await startTwoFactorLogin(user);
    const done = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret), trustComputer: true });
    vi.restoreAllMocks();
    const raw = decodeBase64Url(twoFactorId)!;
    expect(raw.subarray(0, 8)).toEqual(marked.subarray(0, 8));
    // The rest is the user id, encrypted, and a tag: not readable, but it routes back to the user.
    expect(twoFactorId).not.toContain(encodeBase64Url(new TextEncoder().encode(user.id)).slice(0, 8));
    expect((await openTwoFactorId(env.ENCRYPTION_KEY, twoFactorId))?.userId).toBe(user.id);
    expect(((await done.json()) as { twoFactorTrustId: string }).twoFactorTrustId).toBe(encodeBase64Url(marked));
  });

  it("gives 1,000 distinct twoFactorIds with balanced bits, and distinct ones through the API", async () => {
    const userId = crypto.randomUUID();
    const ids = await Promise.all(Array.from({ length: 1000 }, () => sealTwoFactorId(env.ENCRYPTION_KEY, userId, newChallengeKey())));
    expect(ids.every((id) => ID.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(1000);
    expectBalanced(ids);

    const user = await createTwoFactorUserWithoutCode();
    const viaApi = await Promise.all(Array.from({ length: 10 }, () => startTwoFactorLogin(user)));
    expect(viaApi.every((id) => ID.test(id))).toBe(true);
    expect(new Set([...viaApi, ...ids]).size).toBe(1010);
  });

  it("gives 1,000 distinct trust ids with balanced bits from the user guard", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const key = keyFromSecret(user.secret)!;
    const start = Date.now();
    const codes = await Promise.all(Array.from({ length: 1000 }, (_, i) => hotp(key, timeStep(start + i * STEP_MS))));
    const ids = await runInDurableObject(userGuardOf(user.id), async (guard) => {
      const trustIds: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const nowMs = start + i * STEP_MS;
        const started = await guard.login({ loginId: user.email, password: user.password, details: { noJWT: true }, nowMs });
        if (started.outcome !== "challenge") continue;
        const result = await guard.completeLogin(started.challengeKey, codes[i]!, true, nowMs);
        if (result.outcome === "accepted" && result.trustId) trustIds.push(result.trustId);
      }
      return trustIds;
    });
    expect(ids).toHaveLength(1000);
    expect(ids.every((id) => ID.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(1000);
    expectBalanced(ids);
  });
});

describe("JWT algorithm confusion on GET /api/two-factor/secret", () => {
  const part = (value: unknown) => encodeBase64Url(new TextEncoder().encode(JSON.stringify(value)));
  const claims = async (sub: string) => {
    const iat = Math.floor(Date.now() / 1000);
    const { tokenStamp } = (await readAccount(sub)).guard;
    return { sub, iss: "acme.com", iat, exp: iat + 3600, jti: crypto.randomUUID(), authenticationType: "PASSWORD", tokenStamp };
  };

  async function hmacSigned(header: object, payload: object, key: string, hash = "SHA-256"): Promise<string> {
    const input = `${part(header)}.${part(payload)}`;
    const hmac = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash }, false, ["sign"]);
    return `${input}.${encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(input))))}`;
  }

  it("accepts the genuine token, so the refusals below are about the algorithm", async () => {
    const user = await createUser();
    const genuine = await hmacSigned({ alg: "HS256", typ: "JWT" }, await claims(user.id), JWT_SIGNING_KEY);
    expect((await call("GET", "/api/two-factor/secret", { apiKey: null, headers: { Authorization: `Bearer ${genuine}` } })).status).toBe(200);
  });

  it("refuses none in any case, other HMAC sizes, asymmetric algorithms signed with the HMAC key, and other keys", async () => {
    const user = await createUser();
    const payload = await claims(user.id);
    const genuine = await issueAccessToken(
      { id: user.id },
      { signingKey: JWT_SIGNING_KEY, issuer: "acme.com", ttlSeconds: 3600, tokenStamp: payload.tokenStamp, nowMs: Date.now() },
    );
    const [header, body, signature] = genuine.split(".") as [string, string, string];
    const forged: Record<string, string> = {
      "alg None": `${part({ alg: "None", typ: "JWT" })}.${part(payload)}.`,
      "alg NONE with the genuine signature": `${part({ alg: "NONE", typ: "JWT" })}.${body}.${signature}`,
      "alg nOnE, no signature part": `${part({ alg: "nOnE" })}.${part(payload)}`,
      "HS512 with the signing key": await sign(payload, JWT_SIGNING_KEY, "HS512"),
      "HS384 with the signing key": await sign(payload, JWT_SIGNING_KEY, "HS384"),
      "RS256 header, HMAC-SHA256 with the key": await hmacSigned({ alg: "RS256", typ: "JWT" }, payload, JWT_SIGNING_KEY),
      "ES256 header, HMAC-SHA256 with the key": await hmacSigned({ alg: "ES256", typ: "JWT" }, payload, JWT_SIGNING_KEY),
      "PS256 header, HMAC-SHA256 with the key": await hmacSigned({ alg: "PS256", typ: "JWT" }, payload, JWT_SIGNING_KEY),
      "HS256 with a key one character off": await hmacSigned({ alg: "HS256", typ: "JWT" }, payload, `${JWT_SIGNING_KEY.slice(0, -1)}0`),
      "HS256 with the API key as key": await hmacSigned({ alg: "HS256", typ: "JWT" }, payload, API_KEY),
      "the genuine token without its signature": `${header}.${body}.`,
      "the genuine header and signature on another subject": `${header}.${part({ ...payload, sub: crypto.randomUUID() })}.${signature}`,
      "alg 'HS256 ' (trailing space)": await hmacSigned({ alg: "HS256 ", typ: "JWT" }, payload, JWT_SIGNING_KEY),
    };
    const accepted: string[] = [];
    for (const [name, token] of Object.entries(forged)) {
      const ways: Array<Record<string, string>> = [
        { Authorization: `Bearer ${token}` },
        { Authorization: `JWT ${token}` },
        { Cookie: `access_token=${token}` },
      ];
      for (const headers of ways) {
        const response = await app.request("/api/two-factor/secret", { headers }, env);
        const result = await emptyResponse(response);
        if (JSON.stringify(result) !== JSON.stringify(EMPTY_401)) accepted.push(`${name} via ${Object.keys(headers)[0]}: ${result.status}`);
      }
    }
    expect(accepted).toEqual([]);
  });
});

describe("oversized Authorization headers", () => {
  const operations = Object.entries(openApiDocument().paths as Record<string, Record<string, { security: unknown[] }>>)
    .flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({ method: method.toUpperCase(), path, security: operation.security })),
    )
    .filter((operation) => operation.security.length > 0)
    .map(({ method, path }) => ({ method, path: path.replace("{userId}", crypto.randomUUID()) }));

  it("answers an empty 401, not a 500, on every authenticated route at 10 KB and 100 KB", async () => {
    const token = await issueAccessToken(
      { id: crypto.randomUUID() },
      { signingKey: JWT_SIGNING_KEY, issuer: "acme.com", ttlSeconds: 3600, tokenStamp: "any", nowMs: Date.now() },
    );
    const problems: string[] = [];
    for (const size of [10 * 1024, 100 * 1024]) {
      const headers = [API_KEY.padEnd(size, "x"), `Bearer ${token}`.padEnd(size, "A"), `Bearer ${"a".repeat(size)}`, "Basic ".padEnd(size, "=")];
      for (const { method, path } of operations) {
        for (const authorization of headers) {
          const body = method === "GET" || method === "DELETE" ? undefined : "{}";
          const response = await app.request(path, { method, headers: { Authorization: authorization, "Content-Type": "application/json" }, body }, env);
          const result = await emptyResponse(response);
          if (JSON.stringify(result) !== JSON.stringify(EMPTY_401))
            problems.push(`${method} ${path} ${size} B ${authorization.slice(0, 12)}…: ${result.status}`);
        }
      }
    }
    expect(operations.length).toBeGreaterThanOrEqual(15);
    expect(problems).toEqual([]);
  });

  it("answers an empty 401 through the Worker's fetch handler too", async () => {
    const user = await createUser();
    for (const size of [10 * 1024, 100 * 1024]) {
      expect(await emptyResponse(await login(user.email, user.password, {}, { Authorization: API_KEY.padEnd(size, " x") }))).toEqual(EMPTY_401);
      expect(await emptyResponse(await call("GET", "/api/two-factor/secret", { apiKey: "k".repeat(size) }))).toEqual(EMPTY_401);
    }
  });
});

/** A user with authenticator 2FA and the access token of their completed 2FA login; the next step's code is still unused. */
async function twoFactorUserWithToken() {
  const user = await createTwoFactorUserWithoutCode();
  const done = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret) });
  expect(done.status).toBe(200);
  const token = (await jsonBody(done)).token as string;
  return { ...user, token, bearer: { apiKey: null, headers: { Authorization: `Bearer ${token}` } } };
}

/** A well-formed secret for the enable calls below (which must be refused before any code is checked). */
const unusedSecret = "c2VjcmV0LXNlY3JldC0xMjM0NQ==";

/** The calls a token makes, each of which must answer an empty 401 once the token is dead. */
async function tokenCalls(token: string): Promise<Record<string, { status: number; contentType: string | null; body: string }>> {
  const bearer = { apiKey: null, headers: { Authorization: `Bearer ${token}` } };
  const cookie = { apiKey: null, headers: { Cookie: `access_token=${token}` } };
  return {
    "GET /api/user": await emptyResponse(await call("GET", "/api/user", bearer)),
    "GET /api/two-factor/secret": await emptyResponse(await call("GET", "/api/two-factor/secret", bearer)),
    "GET /api/two-factor/secret (cookie)": await emptyResponse(await call("GET", "/api/two-factor/secret", cookie)),
    "POST /api/user/two-factor/recovery-code": await emptyResponse(await call("POST", "/api/user/two-factor/recovery-code", { ...bearer, body: {} })),
    "GET /api/user/two-factor/trust": await emptyResponse(await call("GET", "/api/user/two-factor/trust", bearer)),
    "DELETE /api/user/two-factor/trust": await emptyResponse(await call("DELETE", "/api/user/two-factor/trust", bearer)),
    "DELETE /api/user/two-factor": await emptyResponse(await call("DELETE", "/api/user/two-factor?code=123456", bearer)),
    "DELETE /api/user/two-factor (1.26+)": await emptyResponse(await call("DELETE", "/api/user/two-factor?methodId=AAAA&code=123456", bearer)),
    "POST /api/user/two-factor": await emptyResponse(await call("POST", "/api/user/two-factor", { ...bearer, body: { code: "123456", secret: unusedSecret } })),
    "POST /api/user/two-factor (1.26+)": await emptyResponse(
      await call("POST", "/api/user/two-factor", { ...bearer, body: { method: "authenticator", code: "123456", secret: unusedSecret } }),
    ),
    "PUT /api/user/two-factor (name)": await emptyResponse(await call("PUT", "/api/user/two-factor", { ...bearer, body: { methodId: "AAAA", name: "phone" } })),
    "POST /api/two-factor/send": await emptyResponse(await call("POST", "/api/two-factor/send", { ...bearer, body: {} })),
  };
}

async function expectDead(token: string): Promise<void> {
  const answers = await tokenCalls(token);
  expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((name) => [name, EMPTY_401])));
}

describe("a stolen access token", () => {
  it("cannot mint recovery codes and then turn 2FA off: the password alone still gets 242", async () => {
    const user = await twoFactorUserWithToken();
    const generated = await call("POST", "/api/user/two-factor/recovery-code", user.bearer);
    expect(generated.status).toBe(400);
    expect(await generated.json()).toEqual({ fieldErrors: { code: [{ code: "[blank]code", message: expect.any(String) }] } });
    const disabled = await call("DELETE", `/api/user/two-factor?code=${await wrongCode(user.secret)}`, user.bearer);
    expect(disabled.status).toBe(421);
    expect((await login(user.email, user.password)).status).toBe(242);
    expect((await jsonBody(await call("GET", `/api/user/${user.id}`))).user).toMatchObject({ twoFactorEnabled: true, twoFactorRecoveryCodesRemaining: 0 });
  });

  it("cannot mint them with a wrong code (421, counted toward the lockout) or a used one", async () => {
    freezeClock(); // the login and the replay in one time step, however slow the run
    const user = await twoFactorUserWithToken();
    const wrong = await call("POST", "/api/user/two-factor/recovery-code", { ...user.bearer, body: { code: await wrongCode(user.secret) } });
    expect(await emptyResponse(wrong)).toEqual({ status: 421, contentType: null, body: "" });
    // The login used the current step's code: it proves nothing twice.
    const replayed = await call("POST", "/api/user/two-factor/recovery-code", { ...user.bearer, body: { code: await codeFor(user.secret) } });
    expect(replayed.status).toBe(421);
    expect(replayed.headers.get("X-Two-Factor-Reason")).toBe("CodeAlreadyUsed");
  });

  it("cannot enable 2FA over the user's existing method", async () => {
    const user = await twoFactorUserWithToken();
    const secret = await newSecret();
    const enabled = await call("PUT", "/api/user/two-factor", { ...user.bearer, body: { code: await codeFor(secret), secret } });
    expect(enabled.status).toBe(400);
    expect(await enabled.json()).toEqual({ generalErrors: [{ code: "[TwoFactorEnabled]", message: expect.any(String) }] });
  });

  it("without the account's token stamp (as tokens issued before stamps existed), is refused", async () => {
    const user = await createUser();
    const genuine = JSON.parse(new TextDecoder().decode(decodeBase64Url((await accessToken(user)).split(".")[1]!)!)) as Record<string, unknown>;
    const { tokenStamp: _stamp, ...withoutStamp } = genuine;
    await expectDead(await sign(withoutStamp, JWT_SIGNING_KEY, "HS256"));
    await expectDead(await sign({ ...genuine, tokenStamp: "" }, JWT_SIGNING_KEY, "HS256"));
  });

  it("of an account stored before token stamps is accepted until access changes", async () => {
    const user = await createUser();
    await editAccount(user.id, (account) => {
      delete (account.guard as Partial<typeof account.guard>).tokenStamp;
    });
    const token = await accessToken(user);
    expect((await tokenCalls(token))["GET /api/user"]!.status).toBe(200);
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { password: "a brand new password" } } })).status).toBe(200);
    await expectDead(token);
  });
});

describe("an access token stops working", () => {
  beforeEach(() => {
    freezeClock(); // every change below happens in the second the token was issued
  });

  const changes: Record<string, Record<string, unknown>> = {
    "the user is deactivated": { active: false },
    "the password changes": { password: "a brand new password" },
    "an admin turns 2FA off (User API)": { twoFactorEnabled: false },
  };
  for (const [what, user] of Object.entries(changes)) {
    it(`when ${what}, for good`, async () => {
      const holder = await twoFactorUserWithToken();
      expect((await tokenCalls(holder.token))["GET /api/user"]!.status).toBe(200);
      expect((await call("PATCH", `/api/user/${holder.id}`, { body: { user } })).status).toBe(200);
      await expectDead(holder.token);
      if (user.active === false) expect((await call("PATCH", `/api/user/${holder.id}`, { body: { user: { active: true } } })).status).toBe(200);
      await expectDead(holder.token);
    });
  }

  it("when an admin disables 2FA with an API key", async () => {
    const holder = await twoFactorUserWithToken();
    expect((await call("DELETE", `/api/user/two-factor/${holder.id}?code=${await codeFor(holder.secret, 1)}`)).status).toBe(200);
    await expectDead(holder.token);
  });

  it("when the user is deleted and re-created with the same id in the same millisecond", async () => {
    const holder = await twoFactorUserWithToken();
    expect((await call("DELETE", `/api/user/${holder.id}`)).status).toBe(200);
    const recreated = await call("POST", `/api/user/${holder.id}`, { body: { user: { email: holder.email, password: holder.password } } });
    expect(recreated.status).toBe(200);
    await expectDead(holder.token);
    const secret = await newSecret();
    const enable = await call("PUT", "/api/user/two-factor", { ...holder.bearer, body: { code: await codeFor(secret), secret } });
    expect(await emptyResponse(enable)).toEqual(EMPTY_401);
  });

  it("when the user is deleted and the id imported again with an old insertInstant", async () => {
    const holder = await twoFactorUserWithToken();
    expect((await call("DELETE", `/api/user/${holder.id}`)).status).toBe(200);
    const imported = {
      id: holder.id,
      email: holder.email,
      // hashlib.pbkdf2_hmac("sha256", b"migrated-password", salt, 24000), as in test/routes/user-import.test.ts
      password: "wrcOrDos+nm4KqL88/xsQSeRSMP8M1uK0bICREFUjh4=",
      salt: "ZnVzaW9uYXV0aC1pbXBvcnQtc2FsdC0wMTIzNDU2Nzg5",
      insertInstant: 1_600_000_000_000,
    };
    expect((await call("POST", "/api/user/import", { body: { users: [imported] } })).status).toBe(200);
    await expectDead(holder.token);
  });

  it("not when the user turns 2FA off themselves with a code, nor for a profile change", async () => {
    const holder = await twoFactorUserWithToken();
    expect((await call("PATCH", `/api/user/${holder.id}`, { body: { user: { firstName: "Ada" } } })).status).toBe(200);
    expect((await call("DELETE", `/api/user/two-factor?code=${await codeFor(holder.secret, 1)}`, holder.bearer)).status).toBe(200);
    expect((await tokenCalls(holder.token))["GET /api/user"]!.status).toBe(200);
  });

  it("and a token check racing two password changes never answers 500", async () => {
    vi.useRealTimers();
    const holder = await twoFactorUserWithToken();
    const answers = await Promise.all([
      call("PATCH", `/api/user/${holder.id}`, { body: { user: { password: "first new password" } } }),
      ...Array.from({ length: 5 }, () => call("GET", "/api/user", holder.bearer)),
      call("PATCH", `/api/user/${holder.id}`, { body: { user: { password: "second new password" } } }),
      ...Array.from({ length: 5 }, () => call("GET", "/api/two-factor/secret", holder.bearer)),
    ]);
    expect(answers.map((response) => response.status).filter((status) => ![200, 401].includes(status))).toEqual([]);
    await expectDead(holder.token);
  });
});
