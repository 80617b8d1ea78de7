// The legacy two-factor management API: generate a secret, enable, disable. The login
// side is in two-factor-login.test.ts and two-factor-trust.test.ts, garbage input in two-factor-garbage.test.ts.
// Every test makes its own users; codes are computed right before they are sent.
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/routes/http/openapi-document";
import {
  accessToken,
  call,
  codeFor,
  createTwoFactorUser,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  jsonBody,
  login,
  newSecret,
  startTwoFactorLogin,
  twoFactorLogin,
  wrongCode,
} from "../helpers";

const EMPTY = { contentType: null, body: "" };

/** Base32 (RFC 4648, no padding) written independently of src/domain/encoding.ts. */
function base32(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = Array.from(bytes, (byte) => byte.toString(2).padStart(8, "0")).join("");
  let out = "";
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)];
  return out;
}

const base64Decode = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

async function fieldErrorCode(response: Response, field: string): Promise<string | undefined> {
  expect(response.status).toBe(400);
  return (await jsonBody(response)).fieldErrors?.[field]?.[0]?.code;
}

async function retrieveUser(userId: string) {
  return (await jsonBody(await call("GET", `/api/user/${userId}`))).user;
}

describe("GET /api/two-factor/secret", () => {
  it("answers a 20-character Base64 secret and the Base32 form of its decoded bytes", async () => {
    const response = await call("GET", "/api/two-factor/secret");
    expect(response.status).toBe(200);
    const body = await jsonBody<{ secret: string; secretBase32Encoded: string }>(response);
    expect(Object.keys(body).sort()).toEqual(["secret", "secretBase32Encoded"]);
    expect(body.secret).toMatch(/^[A-Za-z0-9+/]{20}$/);
    expect(body.secretBase32Encoded).toMatch(/^[A-Z2-7]{24}$/);
    expect(base32(base64Decode(body.secret))).toBe(body.secretBase32Encoded);
    expect(await newSecret()).not.toBe(body.secret);
  });

  it("answers an empty 401 without an API key or with a wrong one", async () => {
    expect(await emptyResponse(await call("GET", "/api/two-factor/secret", { apiKey: null }))).toEqual({ status: 401, ...EMPTY });
    expect(await emptyResponse(await call("GET", "/api/two-factor/secret", { apiKey: "wrong-key" }))).toEqual({ status: 401, ...EMPTY });
  });

  it("accepts the JWT of a logged-in user as a Bearer token and as the access_token cookie", async () => {
    const token = await accessToken(await createUser());
    const bearer = await call("GET", "/api/two-factor/secret", { apiKey: null, headers: { Authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
    expect((await jsonBody(bearer)).secret).toMatch(/^[A-Za-z0-9+/]{20}$/);
    const cookie = await call("GET", "/api/two-factor/secret", { apiKey: null, headers: { Cookie: `access_token=${token}` } });
    expect(cookie.status).toBe(200);
  });
});

describe("enable two-factor", () => {
  it.each(["POST", "PUT"])("enables with %s, answers an empty 200 and shows the user enabled without its secret", async (method) => {
    const user = await createUser();
    const secret = await newSecret();
    const response = await call(method, `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery: "None" } });
    expect(await emptyResponse(response)).toEqual({ status: 200, ...EMPTY });
    const stored = await retrieveUser(user.id);
    expect(stored).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    expect(stored).not.toHaveProperty("twoFactorSecret");
    expect((await login(user.email, user.password)).status).toBe(242);
  });

  it("answers an empty 421 for a wrong code and leaves 2FA off", async () => {
    const user = await createUser();
    const secret = await newSecret();
    const response = await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await wrongCode(secret), secret, delivery: "None" } });
    expect(await emptyResponse(response)).toEqual({ status: 421, ...EMPTY });
    expect((await retrieveUser(user.id)).twoFactorEnabled).toBe(false);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it("accepts secretBase32Encoded in place of secret and stores the same key", async () => {
    const user = await createUser();
    const { secret, secretBase32Encoded } = await jsonBody<{ secret: string; secretBase32Encoded: string }>(await call("GET", "/api/two-factor/secret"));
    const response = await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secretBase32Encoded } });
    expect(response.status).toBe(200);
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(secret, 1) })).status).toBe(200);
  });

  it("enables TextMessage delivery for a user with a mobile phone", async () => {
    const user = await createUser({ mobilePhone: "+15555555555" });
    const secret = await newSecret();
    const response = await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery: "TextMessage" } });
    expect(response.status).toBe(200);
    expect(await retrieveUser(user.id)).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
  });

  // @fusionauth/typescript-client before 1.19 declared TwoFactorDelivery as a numeric enum and sent 0 / 1.
  it.each([
    [0, "None", {}],
    [1, "TextMessage", { mobilePhone: "+15555555556" }],
  ])("enables with the numeric delivery %s of clients before 1.19 and answers %s", async (delivery, name, fields) => {
    const user = await createUser(fields);
    const secret = await newSecret();
    const response = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery } });
    expect(await emptyResponse(response)).toEqual({ status: 200, ...EMPTY });
    expect((await retrieveUser(user.id)).twoFactorDelivery).toBe(name);
    const found = await call("GET", `/api/user?email=${encodeURIComponent(user.email)}`);
    expect((await jsonBody(found)).user.twoFactorDelivery).toBe(name);
  });

  it("describes the numeric deliveries in the OpenAPI document, for the enable body and the User API", () => {
    const schemas = openApiDocument().components?.schemas as Record<string, { properties: Record<string, { properties?: Record<string, unknown> }> }>;
    const accepted = (schema: unknown) => ((schema as { anyOf: Array<{ enum?: unknown[] }> }).anyOf ?? []).flatMap((option) => option.enum ?? []);
    expect(accepted(schemas.TwoFactorRequest!.properties.delivery).sort()).toEqual([0, 1, "None", "TextMessage"]);
    expect(accepted(schemas.UserRequest!.properties.user!.properties!.twoFactorDelivery).sort()).toEqual([0, 1, "None", "TextMessage"]);
  });

  it.each([2, -1, 0.5, "0", "1", true, false, [1], {}])("refuses the delivery %j with 400 [invalid]delivery and leaves 2FA off", async (delivery) => {
    const user = await createUser({ mobilePhone: "+15555555557" });
    const secret = await newSecret();
    const response = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery } });
    expect(await fieldErrorCode(response, "delivery")).toBe("[invalid]delivery");
    expect((await retrieveUser(user.id)).twoFactorEnabled).toBe(false);
  });

  it("answers 400 with the FusionAuth field error for each invalid request", async () => {
    const user = await createUser();
    const secret = await newSecret();
    const path = `/api/user/two-factor/${user.id}`;
    const code = await codeFor(secret);
    expect(await fieldErrorCode(await call("POST", path, { body: { code, delivery: "None" } }), "secret")).toBe("[blank]secret");
    expect(await fieldErrorCode(await call("POST", path, { body: { code, secret: "abc" } }), "secret")).toBe("[invalid]secret");
    expect(await fieldErrorCode(await call("POST", path, { body: { secret } }), "code")).toBe("[blank]code");
    expect(await fieldErrorCode(await call("POST", path, { body: { code, secret, delivery: "Email" } }), "delivery")).toBe("[invalid]delivery");
    expect(await fieldErrorCode(await call("POST", path, { body: { code, secret, delivery: "TextMessage" } }), "user.mobilePhone")).toBe(
      "[blank]user.mobilePhone",
    );
    // None of these used the code: it still enables.
    expect((await call("POST", path, { body: { code, secret } })).status).toBe(200);
  });

  it("answers 400 with a general error when 2FA is already enabled", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const response = await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(user.secret), secret: user.secret } });
    expect(response.status).toBe(400);
    const body = await jsonBody(response);
    expect(body.generalErrors[0].code).toMatch(/^\[\w+\]$/);
    expect(body.generalErrors[0].message).toEqual(expect.any(String));
  });

  it("answers an empty 404 for an unknown user, 400 for a malformed id and an empty 401 without an API key", async () => {
    const secret = await newSecret();
    const body = { code: await codeFor(secret), secret };
    expect(await emptyResponse(await call("POST", `/api/user/two-factor/${crypto.randomUUID()}`, { body }))).toEqual({ status: 404, ...EMPTY });
    expect(await fieldErrorCode(await call("POST", "/api/user/two-factor/not-a-uuid", { body }), "userId")).toBe("[invalid]userId");
    const user = await createUser();
    expect(await emptyResponse(await call("POST", `/api/user/two-factor/${user.id}`, { body, apiKey: null }))).toEqual({ status: 401, ...EMPTY });
    expect((await retrieveUser(user.id)).twoFactorEnabled).toBe(false);
  });

  it.each(["POST", "PUT"])("enables 2FA for the JWT's user with %s /api/user/two-factor", async (method) => {
    const user = await createUser();
    const token = await accessToken(user);
    const secret = await newSecret();
    const response = await call(method, "/api/user/two-factor", {
      apiKey: null,
      headers: { Authorization: `Bearer ${token}` },
      body: { code: await codeFor(secret), secret, delivery: "None" },
    });
    expect(await emptyResponse(response)).toEqual({ status: 200, ...EMPTY });
    expect((await retrieveUser(user.id)).twoFactorEnabled).toBe(true);
  });

  it("does not lock the user's login after wrong enable codes", async () => {
    // The enable request carries its own secret: a wrong code there is a typo, not a guess.
    const user = await createUser();
    const secret = await newSecret();
    const bad = await wrongCode(secret);
    for (let i = 0; i < 5; i++) {
      expect((await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: bad, secret } })).status).toBe(421);
    }
    expect((await login(user.email, user.password)).status).toBe(200);
  });
});

describe("disable two-factor", () => {
  it("disables with the documented path form and then logs in without 2FA", async () => {
    const user = await createTwoFactorUser();
    const response = await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret, 1)}`);
    expect(await emptyResponse(response)).toEqual({ status: 200, ...EMPTY });
    expect(await retrieveUser(user.id)).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None" });
    const direct = await login(user.email, user.password);
    expect(direct.status).toBe(200);
    expect((await jsonBody(direct)).token).toBeTruthy();
  });

  it("disables with the query form the official client sends", async () => {
    const user = await createTwoFactorUser();
    const response = await call("DELETE", `/api/user/two-factor?userId=${user.id}&code=${await codeFor(user.secret, 1)}`);
    expect(await emptyResponse(response)).toEqual({ status: 200, ...EMPTY });
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it("answers an empty 421 for a wrong code and for the literal code=undefined, keeping 2FA on", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const wrong = await call("DELETE", `/api/user/two-factor/${user.id}?code=${await wrongCode(user.secret)}`);
    expect(await emptyResponse(wrong)).toEqual({ status: 421, ...EMPTY });
    const undefinedCode = await call("DELETE", `/api/user/two-factor?userId=${user.id}&code=undefined`);
    expect(await emptyResponse(undefinedCode)).toEqual({ status: 421, ...EMPTY });
    expect((await login(user.email, user.password)).status).toBe(242);
  });

  it("answers 400 [blank]code without a code and 400 [blank]userId for an API key call without a user", async () => {
    const user = await createTwoFactorUserWithoutCode();
    expect(await fieldErrorCode(await call("DELETE", `/api/user/two-factor/${user.id}`), "code")).toBe("[blank]code");
    expect(await fieldErrorCode(await call("DELETE", `/api/user/two-factor/${user.id}?code=`), "code")).toBe("[blank]code");
    expect(await fieldErrorCode(await call("DELETE", `/api/user/two-factor?code=${await codeFor(user.secret)}`), "userId")).toBe("[blank]userId");
    expect((await login(user.email, user.password)).status).toBe(242);
  });

  it("answers 400 with a general error when 2FA is not enabled", async () => {
    const user = await createUser();
    const response = await call("DELETE", `/api/user/two-factor/${user.id}?code=123456`);
    expect(response.status).toBe(400);
    expect((await jsonBody(response)).generalErrors[0].code).toMatch(/^\[\w+\]$/);
  });

  it("answers an empty 404 for an unknown user and an empty 401 without an API key", async () => {
    expect(await emptyResponse(await call("DELETE", `/api/user/two-factor/${crypto.randomUUID()}?code=123456`))).toEqual({ status: 404, ...EMPTY });
    const user = await createTwoFactorUserWithoutCode();
    const anonymous = await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret)}`, { apiKey: null });
    expect(await emptyResponse(anonymous)).toEqual({ status: 401, ...EMPTY });
    expect((await login(user.email, user.password)).status).toBe(242);
  });

  it("makes a challenge issued before the disable answer 404", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret)}`)).status).toBe(200);
    const late = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret, 1) });
    expect(await emptyResponse(late)).toEqual({ status: 404, ...EMPTY });
  });

  it("disables 2FA for the JWT's user with DELETE /api/user/two-factor?code=", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const secret = await newSecret();
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: secret } } })).status).toBe(200);
    const response = await call("DELETE", `/api/user/two-factor?code=${await codeFor(secret)}`, {
      apiKey: null,
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(await emptyResponse(response)).toEqual({ status: 200, ...EMPTY });
    expect((await retrieveUser(user.id)).twoFactorEnabled).toBe(false);
  });
});
