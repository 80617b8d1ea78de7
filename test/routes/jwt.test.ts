// HS256 access tokens: only tokens we signed with HS256, unexpired, from our issuer verify.
// Then the same through the API: a JWT is accepted as `Bearer`, as `JWT` and from the
// `access_token` cookie, and forged tokens get an empty 401. Signing keys rotate: JWT_SIGNING_KEY
// lists `kid:secret` entries (RFC 7515 §4.1.4), the first signs, a token is checked with its kid's key.
import { sign } from "hono/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeBase64Url } from "../../src/domain/encoding";
import { issueAccessToken, verifyAccessToken } from "../../src/routes/http/jwt";
import { accessToken, call, createUser, emptyResponse, jsonBody, JWT_SIGNING_KEY } from "../helpers";
import { readAccount } from "../storage";

const KEY = "unit-test-signing-key-0123456789abcdef";
const ISSUER = "acme.com";
const USER = { id: "4d3c2b1a-0000-4000-8000-00000000abcd", email: "neo@example.com" };
const STAMP = "stamp";
const EMPTY = { contentType: null, body: "" };

const issue = (options: Partial<Parameters<typeof issueAccessToken>[1]> = {}) =>
  issueAccessToken(USER, { signingKey: KEY, issuer: ISSUER, ttlSeconds: 3600, tokenStamp: STAMP, nowMs: Date.now(), ...options });

const part = (value: unknown) => encodeBase64Url(new TextEncoder().encode(JSON.stringify(value)));
const decodePart = (text: string) => JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;

function claimsFor(subject: string, issuer = ISSUER) {
  const iat = Math.floor(Date.now() / 1000);
  return { sub: subject, iss: issuer, iat, exp: iat + 3600, jti: crypto.randomUUID(), authenticationType: "PASSWORD", tokenStamp: STAMP };
}

/** `alg: none`: a header, a payload and an empty signature. */
const unsignedToken = (claims: object) => `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;

/** A token whose header says `alg` but whose signature is HMAC-SHA256 with `key` (algorithm confusion). */
const hmacSignedAs = (alg: string, claims: object, key: string): Promise<string> => hmacSignedWithHeader({ alg, typ: "JWT" }, claims, key);

/** A token with any `header`, signed with HMAC-SHA256 under `key`. */
async function hmacSignedWithHeader(header: object, claims: object, key: string): Promise<string> {
  const input = `${part(header)}.${part(claims)}`;
  const hmac = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(input)));
  return `${input}.${encodeBase64Url(signature)}`;
}

describe("issueAccessToken and verifyAccessToken", () => {
  it("verifies a token it issued and returns its subject", async () => {
    const token = await issue();
    expect(await verifyAccessToken(token, KEY, ISSUER)).toEqual({ userId: USER.id, tokenStamp: STAMP });
    const [header, payload] = token.split(".") as [string, string];
    expect(decodePart(header)).toMatchObject({ alg: "HS256", typ: "JWT" });
    expect(decodePart(payload)).toMatchObject({ sub: USER.id, iss: ISSUER, email: USER.email, tokenStamp: STAMP });
  });

  it("rejects a token without a token stamp (one issued before stamps existed)", async () => {
    const { tokenStamp: _stamp, ...claims } = claimsFor(USER.id);
    expect(await verifyAccessToken(await sign(claims, KEY, "HS256"), KEY, ISSUER)).toBeNull();
  });

  it("rejects a token whose payload was tampered with", async () => {
    const [header, , signature] = (await issue()).split(".") as [string, string, string];
    const forged = `${header}.${part(claimsFor("00000000-0000-4000-8000-00000000dead"))}.${signature}`;
    expect(await verifyAccessToken(forged, KEY, ISSUER)).toBeNull();
  });

  it("rejects a token signed with another key", async () => {
    const token = await issueAccessToken(USER, {
      signingKey: "some-other-key-0123456789abcdef",
      issuer: ISSUER,
      ttlSeconds: 3600,
      tokenStamp: STAMP,
      nowMs: Date.now(),
    });
    expect(await verifyAccessToken(token, KEY, ISSUER)).toBeNull();
  });

  it("follows a change of signing key (the imported key is kept per isolate, by its key)", async () => {
    const other = "rotated-key-0123456789abcdef0123";
    const before = await issue();
    const after = await issueAccessToken(USER, { signingKey: other, issuer: ISSUER, ttlSeconds: 3600, tokenStamp: STAMP, nowMs: Date.now() });
    expect(await verifyAccessToken(after, other, ISSUER)).not.toBeNull();
    expect(await verifyAccessToken(before, other, ISSUER)).toBeNull();
    expect(await verifyAccessToken(after, KEY, ISSUER)).toBeNull();
    expect(await verifyAccessToken(before, KEY, ISSUER)).not.toBeNull();
  });

  it("rejects an alg none token", async () => {
    expect(await verifyAccessToken(unsignedToken(claimsFor(USER.id)), KEY, ISSUER)).toBeNull();
  });

  it("rejects a token signed with HS512 under the same key", async () => {
    const token = await sign(claimsFor(USER.id), KEY, "HS512");
    expect(await verifyAccessToken(token, KEY, ISSUER)).toBeNull();
  });

  it("rejects an RS256-headed token carrying an HMAC signature made with the signing key", async () => {
    const token = await hmacSignedAs("RS256", claimsFor(USER.id), KEY);
    expect(await verifyAccessToken(token, KEY, ISSUER)).toBeNull();
    // The same construction with the HS256 header does verify, so the header alone is what fails.
    expect(await verifyAccessToken(await hmacSignedAs("HS256", claimsFor(USER.id), KEY), KEY, ISSUER)).toMatchObject({ userId: USER.id });
  });

  it("rejects an expired token", async () => {
    const token = await issue({ nowMs: Date.now() - 2 * 3600 * 1000 });
    expect(await verifyAccessToken(token, KEY, ISSUER)).toBeNull();
  });

  it("rejects a token from another issuer", async () => {
    const token = await issue({ issuer: "evil.example" });
    expect(await verifyAccessToken(token, KEY, ISSUER)).toBeNull();
  });

  it("rejects strings that are not tokens", async () => {
    for (const junk of ["", "a.b", "a.b.c", "...", "not a token at all"]) {
      expect(await verifyAccessToken(junk, KEY, ISSUER)).toBeNull();
    }
  });
});

describe("JWT authentication on GET /api/two-factor/secret", () => {
  const secretWith = (headers: Record<string, string>) => call("GET", "/api/two-factor/secret", { apiKey: null, headers });

  async function expectSecret(response: Response): Promise<void> {
    const text = await response.clone().text();
    expect(response.status, text).toBe(200);
    expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ secret: expect.any(String), secretBase32Encoded: expect.any(String) });
  }

  it("accepts a login's token as Authorization: Bearer", async () => {
    await expectSecret(await secretWith({ Authorization: `Bearer ${await accessToken(await createUser())}` }));
  });

  it("accepts a login's token as Authorization: JWT", async () => {
    await expectSecret(await secretWith({ Authorization: `JWT ${await accessToken(await createUser())}` }));
  });

  it("accepts a login's token from the access_token cookie", async () => {
    await expectSecret(await secretWith({ Cookie: `access_token=${await accessToken(await createUser())}` }));
  });

  it("prefers an API key over a bad access_token cookie", async () => {
    await expectSecret(await call("GET", "/api/two-factor/secret", { headers: { Cookie: "access_token=garbage" } }));
  });

  it("answers an alg none token with an empty 401", async () => {
    const user = await createUser();
    const forged = unsignedToken(claimsFor(user.id));
    expect(await emptyResponse(await secretWith({ Authorization: `Bearer ${forged}` }))).toEqual({ status: 401, ...EMPTY });
    expect(await emptyResponse(await secretWith({ Cookie: `access_token=${forged}` }))).toEqual({ status: 401, ...EMPTY });
  });

  it("answers a token signed with another key, or expired, with an empty 401", async () => {
    const user = await createUser();
    const { tokenStamp } = (await readAccount(user.id)).guard;
    const otherKey = await issueAccessToken(
      { id: user.id },
      { signingKey: `${JWT_SIGNING_KEY}-other`, issuer: ISSUER, ttlSeconds: 3600, tokenStamp, nowMs: Date.now() },
    );
    const expired = await issueAccessToken(
      { id: user.id },
      { signingKey: JWT_SIGNING_KEY, issuer: ISSUER, ttlSeconds: 60, tokenStamp, nowMs: Date.now() - 3600_000 },
    );
    for (const token of [otherKey, expired]) {
      expect(await emptyResponse(await secretWith({ Authorization: `Bearer ${token}` }))).toEqual({ status: 401, ...EMPTY });
    }
  });
});

describe("signing keys with ids (kid)", () => {
  // Generated as scripts/deploy.mjs does: 32 random bytes in Base64URL, so `-` and `_` occur.
  const OLD = "Zm9vYmFy-_0123456789abcdefghijklmnopqrstuvw";
  const NEW = "bmV3a2V5-_9876543210ZYXWVUTSRQPONMLKJIHGFED";
  const headerOf = (token: string) => decodePart(token.split(".")[0]!);
  const verifies = async (token: string, setting: string) => (await verifyAccessToken(token, setting, ISSUER)) !== null;

  afterEach(() => vi.restoreAllMocks());

  it("puts the first entry's id into the header, and checks it with that entry's secret only", async () => {
    const token = await issue({ signingKey: `new:${NEW},${OLD}` });
    expect(headerOf(token)).toEqual({ alg: "HS256", typ: "JWT", kid: "new" });
    expect(await verifies(token, `new:${NEW},${OLD}`)).toBe(true);
    expect(await verifies(token, `new:${NEW}`)).toBe(true);
    expect(await verifies(token, ` other:${OLD} , new:${NEW} `)).toBe(true);
    expect(await verifies(token, NEW)).toBe(false);
    expect(await verifies(token, `newer:${NEW}`)).toBe(false);
  });

  it("keeps a bare secret as it was: no kid in the header, and its tokens verify after a new key is prepended, until it is removed", async () => {
    const token = await issue({ signingKey: OLD });
    expect(headerOf(token)).toEqual({ alg: "HS256", typ: "JWT" });
    expect(await verifies(token, OLD)).toBe(true);
    expect(await verifies(token, `new:${NEW},${OLD}`)).toBe(true);
    expect(await verifies(token, `new:${NEW}`)).toBe(false);
    // A token without a kid is checked only with the entries that have none.
    expect(await verifies(await issue({ signingKey: NEW }), `new:${NEW},${OLD}`)).toBe(false);
  });

  it("rejects a token whose kid names a removed key, or a key that did not sign it", async () => {
    expect(await verifies(await issue({ signingKey: `old:${OLD}` }), `new:${NEW}`)).toBe(false);
    expect(await verifies(await issue({ signingKey: `old:${OLD}` }), `new:${NEW},old:${OLD}`)).toBe(true);
    const forged = await hmacSignedWithHeader({ alg: "HS256", typ: "JWT", kid: "new" }, claimsFor(USER.id), OLD);
    expect(await verifies(forged, `new:${NEW},${OLD}`)).toBe(false);
    expect(await verifies(forged, `new:${NEW},old:${OLD}`)).toBe(false);
    // The same construction with the right secret verifies, so the kid is what fails.
    expect(await verifies(await hmacSignedWithHeader({ alg: "HS256", typ: "JWT", kid: "new" }, claimsFor(USER.id), NEW), `new:${NEW},${OLD}`)).toBe(true);
  });

  it("rejects a kid that is not a string, and headers that are not JSON objects, without throwing", async () => {
    const payload = part(claimsFor(USER.id));
    const tokens = [
      await hmacSignedWithHeader({ alg: "HS256", typ: "JWT", kid: 5 }, claimsFor(USER.id), OLD),
      await hmacSignedWithHeader({ alg: "HS256", typ: "JWT", kid: ["new"] }, claimsFor(USER.id), NEW),
      await hmacSignedWithHeader({ alg: "HS256", typ: "JWT", kid: null }, claimsFor(USER.id), OLD),
      `${part(null)}.${payload}.x`,
      `${part([])}.${payload}.x`,
      `${part("kid")}.${payload}.x`,
      `%%%.${payload}.x`,
      `${encodeBase64Url(new TextEncoder().encode("{not json"))}.${payload}.x`,
    ];
    for (const token of tokens) expect(await verifies(token, `new:${NEW},${OLD}`), token).toBe(false);
  });

  it("reads an id only from 1-64 letters, digits, _ or - before the first colon", async () => {
    const colons = await issue({ signingKey: `k1:${OLD}:tail` });
    expect(headerOf(colons).kid).toBe("k1");
    expect(await verifies(colons, `k1:${OLD}:tail`)).toBe(true);
    expect(await verifies(colons, `k1:${OLD}`)).toBe(false);
    for (const bare of [`a b:${OLD}`, `${"k".repeat(65)}:${OLD}`, `:${OLD}`, `k.1:${OLD}`]) {
      const token = await issue({ signingKey: bare });
      expect(headerOf(token), bare).toEqual({ alg: "HS256", typ: "JWT" });
      expect(await verifies(token, bare)).toBe(true);
    }
  });

  it("imports each entry's key once per isolate, not on every request", async () => {
    const setting = `rotation-${crypto.randomUUID()}:${NEW},${OLD}`;
    const token = await issue({ signingKey: setting });
    const imports = vi.spyOn(crypto.subtle, "importKey");
    for (let i = 0; i < 3; i += 1) {
      expect(await verifies(token, setting)).toBe(true);
      await issue({ signingKey: setting });
    }
    expect(imports).not.toHaveBeenCalled();
  });
});

describe("rotating JWT_SIGNING_KEY through the API", () => {
  const ROTATED = `next:rotated-${crypto.randomUUID()},${JWT_SIGNING_KEY}`;
  const me = (token: string, setting: string) =>
    call("GET", "/api/user", { apiKey: null, headers: { Authorization: `Bearer ${token}` }, vars: { JWT_SIGNING_KEY: setting } });
  async function tokenUnder(setting: string, user: { email: string; password: string }): Promise<string> {
    const response = await call("POST", "/api/login", { body: { loginId: user.email, password: user.password }, vars: { JWT_SIGNING_KEY: setting } });
    return (await jsonBody<{ token: string }>(response)).token;
  }

  it("accepts a token issued before the new key was prepended, and signs new ones with the new key's kid", async () => {
    const user = await createUser();
    const before = await accessToken(user);
    expect((await me(before, JWT_SIGNING_KEY)).status).toBe(200);
    expect((await me(before, ROTATED)).status).toBe(200);
    const after = await tokenUnder(ROTATED, user);
    expect(decodePart(after.split(".")[0]!)).toEqual({ alg: "HS256", typ: "JWT", kid: "next" });
    expect((await jsonBody<{ user: { id: string } }>(await me(after, ROTATED))).user.id).toBe(user.id);
    // The new key's tokens need the new entry: back on the old setting they are refused.
    expect(await emptyResponse(await me(after, JWT_SIGNING_KEY))).toEqual({ status: 401, ...EMPTY });
  });

  it("refuses the old key's tokens once its entry is removed", async () => {
    const user = await createUser();
    const before = await accessToken(user);
    const [newest] = ROTATED.split(",");
    expect(await emptyResponse(await me(before, newest!))).toEqual({ status: 401, ...EMPTY });
    expect((await me(await tokenUnder(ROTATED, user), newest!)).status).toBe(200);
  });
});
