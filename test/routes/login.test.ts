// The Login API without a second factor: the 200 body and its JWT, the failure
// statuses (404, 409, 410, 423, 401, 400), the password-failure lockout, the LOGIN_REQUIRES_API_KEY
// switch, and that an unknown login id costs the same PBKDF2 work as a wrong password.
// Every test makes its own users.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { verify } from "hono/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import app from "../../src/index";
import { MAX_META_DATA_BYTES } from "../../src/routes/http/requests";
import { call, createTwoFactorUser, createUser, emptyResponse, jsonBody, JWT_SIGNING_KEY, login, uniqueEmail } from "../helpers";
import { userGuardOf, storedGuard } from "../storage";

const EMPTY = { contentType: null, body: "" };
const PASSWORD = "correct horse battery";
/** The applicationId of FusionAuth's own Login API example request. */
const DOC_APPLICATION_ID = "10000000-0000-0002-0000-000000000001";

type LoginBody = { token?: string; user: Record<string, unknown> & { id: string } };
type DeriveParams = { name: string; iterations?: number };
type PreventLoginAction = { expiry: number; reason: string; reasonCode: string; localizedName: string; [field: string]: unknown };

async function loggedIn(response: Response): Promise<LoginBody> {
  const text = await response.clone().text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  return (await response.json()) as LoginBody;
}

async function expectFieldError(response: Response, field: string, code: string): Promise<void> {
  const text = await response.clone().text();
  expect(response.status, text).toBe(400);
  expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  const errors = (await response.json()) as { fieldErrors?: Record<string, Array<{ code: string }>> };
  expect(
    errors.fieldErrors?.[field]?.map((error) => error.code),
    text,
  ).toContain(code);
}

async function expectPrevented(response: Response): Promise<PreventLoginAction> {
  const text = await response.clone().text();
  expect(response.status, text).toBe(409);
  expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  const body = (await response.json()) as { actions: PreventLoginAction[] };
  expect(body.actions).toHaveLength(1);
  return body.actions[0]!;
}

describe("a successful login", () => {
  it("answers 200 with a token and the user, without the password", async () => {
    const user = await createUser({ firstName: "Ada" });
    const body = await loggedIn(await login(user.email, user.password));
    expect(typeof body.token).toBe("string");
    expect(body.user).toMatchObject({ id: user.id, email: user.email, firstName: "Ada", twoFactorEnabled: false });
    expect(body.user).not.toHaveProperty("password");
    expect(body.user).not.toHaveProperty("twoFactorSecret");
  });

  it("issues an HS256 JWT with FusionAuth's claims, valid for an hour", async () => {
    const user = await createUser();
    const before = Math.floor(Date.now() / 1000);
    const { token } = await loggedIn(await login(user.email, user.password));
    const claims = await verify(token!, JWT_SIGNING_KEY, "HS256");
    expect(claims.sub).toBe(user.id);
    expect(claims.email).toBe(user.email);
    expect(typeof claims.iss).toBe("string");
    expect(claims.iss).not.toBe("");
    expect(typeof claims.jti).toBe("string");
    expect(typeof claims.authenticationType).toBe("string");
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(claims).not.toHaveProperty("aud");
  });

  it("gives every token its own jti", async () => {
    const user = await createUser();
    const first = await verify((await loggedIn(await login(user.email, user.password))).token!, JWT_SIGNING_KEY, "HS256");
    const second = await verify((await loggedIn(await login(user.email, user.password))).token!, JWT_SIGNING_KEY, "HS256");
    expect(first.jti).not.toBe(second.jti);
  });

  it("puts the applicationId into the token's aud claim", async () => {
    const user = await createUser();
    const applicationId = crypto.randomUUID();
    const { token } = await loggedIn(await login(user.email, user.password, { applicationId }));
    expect((await verify(token!, JWT_SIGNING_KEY, "HS256")).aud).toBe(applicationId);
  });

  it("accepts the applicationId of FusionAuth's documented example request", async () => {
    // FusionAuth's documented example body; FusionAuth accepts any 8-4-4-4-12 hex UUID, not only RFC 4122 variants.
    const user = await createUser();
    const response = await login(user.email, user.password, { applicationId: DOC_APPLICATION_ID, ipAddress: "192.168.1.42" });
    const { token } = await loggedIn(response);
    expect((await verify(token!, JWT_SIGNING_KEY, "HS256")).aud).toBe(DOC_APPLICATION_ID);
  });

  it("returns no token when noJWT is true", async () => {
    const user = await createUser();
    const response = await login(user.email, user.password, { noJWT: true });
    const body = await loggedIn(response);
    expect(body).not.toHaveProperty("token");
    expect(body.user.id).toBe(user.id);
    expect(response.headers.get("Set-Cookie") ?? "").not.toMatch(/access_token=/);
  });

  it("logs in by username", async () => {
    const username = `neo-${crypto.randomUUID()}`;
    const user = await createUser({ username });
    expect((await loggedIn(await login(username, user.password))).user.id).toBe(user.id);
  });

  it("matches an email loginId whatever its case", async () => {
    const user = await createUser();
    expect((await loggedIn(await login(user.email.toUpperCase(), user.password))).user.id).toBe(user.id);
  });

  it("sets lastLoginInstant in the response", async () => {
    const user = await createUser();
    const before = Date.now();
    const body = await loggedIn(await login(user.email, user.password));
    const instant = body.user.lastLoginInstant as number;
    expect(instant).toBeGreaterThanOrEqual(before);
    expect(instant).toBeLessThanOrEqual(Date.now());
  });

  it("brings the same lastLoginInstant to the replica GET /api/user reads within five minutes, by the object's alarm", async () => {
    const user = await createUser();
    const now = Date.now();
    const body = await loggedIn(await login(user.email, user.password));
    const alarm = await runInDurableObject(userGuardOf(user.id), (_instance, state) => state.storage.getAlarm());
    expect(Math.abs(alarm! - (now + 300_000))).toBeLessThanOrEqual(5_000);
    expect(await runDurableObjectAlarm(userGuardOf(user.id))).toBe(true);
    const fetched = (await (await call("GET", `/api/user/${user.id}`)).json()) as LoginBody;
    expect(fetched.user.lastLoginInstant).toBe(body.user.lastLoginInstant);
    expect(await runDurableObjectAlarm(userGuardOf(user.id))).toBe(false);
  });

  it("brings lastLoginInstant to the replica when the object was evicted before its alarm", async () => {
    const user = await createUser();
    const body = await loggedIn(await login(user.email, user.password));
    // As an idle object is evicted minutes before the alarm: the alarm runs in a new instance.
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(userGuardOf(user.id))).toBe(true);
    const fetched = (await (await call("GET", `/api/user/${user.id}`)).json()) as LoginBody;
    expect(fetched.user.lastLoginInstant).toBe(body.user.lastLoginInstant);
    // Written once: nothing is due any more, and no alarm comes back for it.
    await runInDurableObject(userGuardOf(user.id), async (_instance, state) => {
      expect(storedGuard(state)!.replicaDueAt).toBeUndefined();
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("accepts the X-FusionAuth-TenantId header", async () => {
    const user = await createUser();
    const response = await login(user.email, user.password, {}, { "X-FusionAuth-TenantId": crypto.randomUUID() });
    expect((await loggedIn(response)).user.id).toBe(user.id);
  });
});

describe("a failed login", () => {
  it("answers an unknown loginId with an empty 404", async () => {
    expect(await emptyResponse(await login(uniqueEmail("ghost"), PASSWORD))).toEqual({ status: 404, ...EMPTY });
    expect(await emptyResponse(await login(`ghost-${crypto.randomUUID()}`, PASSWORD))).toEqual({ status: 404, ...EMPTY });
  });

  it("answers a wrong password with an empty 404", async () => {
    const user = await createUser();
    expect(await emptyResponse(await login(user.email, "not the password"))).toEqual({ status: 404, ...EMPTY });
  });

  it("answers a deactivated user with the right password with an empty 423", async () => {
    const user = await createUser();
    const patched = await call("PATCH", `/api/user/${user.id}`, { body: { user: { active: false } } });
    expect(patched.status).toBe(200);
    expect(await emptyResponse(await login(user.email, user.password))).toEqual({ status: 423, ...EMPTY });
  });

  it("answers an expired user with an empty 410", async () => {
    const user = await createUser({ expiry: Date.now() - 60_000 });
    expect(await emptyResponse(await login(user.email, user.password))).toEqual({ status: 410, ...EMPTY });
  });

  it("answers a login without an API key with an empty 401 by default", async () => {
    const user = await createUser();
    const response = await call("POST", "/api/login", { apiKey: null, body: { loginId: user.email, password: user.password } });
    expect(await emptyResponse(response)).toEqual({ status: 401, ...EMPTY });
  });

  it("requires a loginId", async () => {
    await expectFieldError(await call("POST", "/api/login", { body: { password: PASSWORD } }), "loginId", "[blank]loginId");
  });

  it("requires a password", async () => {
    const user = await createUser();
    await expectFieldError(await call("POST", "/api/login", { body: { loginId: user.email } }), "password", "[blank]password");
  });
});

describe("LOGIN_REQUIRES_API_KEY", () => {
  const loginInit = (loginId: string, password: string): RequestInit => ({
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ loginId, password }),
  });

  it("lets a login through without an API key when set to false", async () => {
    const user = await createUser();
    const response = await app.request("/api/login", loginInit(user.email, user.password), { ...env, LOGIN_REQUIRES_API_KEY: "false" });
    expect((await loggedIn(response)).user.id).toBe(user.id);
  });

  it("checks an API key sent anyway: a wrong one is 401, a valid one makes the body's ipAddress the end user's", async () => {
    const user = await createUser();
    const open = { LOGIN_REQUIRES_API_KEY: "false" };
    const body = { loginId: user.email, password: user.password, ipAddress: "203.0.113.44" };
    const wrongKey = await call("POST", "/api/login", { apiKey: "not-an-api-key", body, vars: open });
    expect(await emptyResponse(wrongKey)).toEqual({ status: 401, ...EMPTY });
    expect((await call("POST", "/api/login", { body, vars: open })).status).toBe(200);
    expect((await call("POST", "/api/login", { apiKey: null, body, vars: open })).status).toBe(200);
    const records = await call("GET", `/api/system/login-record/search?userId=${user.id}`);
    const { logins } = (await records.json()) as { logins: Array<{ ipAddress?: string }> };
    expect(logins.map((record) => record.ipAddress)).toEqual([undefined, "203.0.113.44"]);
  });

  it("still requires the API key when left at true", async () => {
    const user = await createUser();
    const response = await app.request("/api/login", loginInit(user.email, user.password), { ...env, LOGIN_REQUIRES_API_KEY: "true" });
    expect(await emptyResponse(response)).toEqual({ status: 401, ...EMPTY });
  });
});

describe("the password-failure lockout", () => {
  async function failFiveTimes(user: { email: string }): Promise<void> {
    for (let i = 0; i < 5; i++) {
      expect(await emptyResponse(await login(user.email, `wrong password ${i}`))).toEqual({ status: 404, ...EMPTY });
    }
  }

  it("prevents login with 409 and a Prevent Login action after five wrong passwords", async () => {
    const user = await createUser();
    await failFiveTimes(user);
    const before = Date.now();
    const action = await expectPrevented(await login(user.email, user.password));
    expect(action.localizedName).toBe("Prevent Login Action");
    expect(typeof action.reason).toBe("string");
    expect(action.reason).not.toBe("");
    expect(typeof action.reasonCode).toBe("string");
    expect(action.reasonCode).not.toBe("");
    expect(action.expiry).toBeGreaterThan(before);
    expect(action.expiry).toBeLessThanOrEqual(before + 3 * 60_000 + 1000);
  });

  it("answers a wrong password while locked with 409 too, so the lock is no password oracle", async () => {
    const user = await createUser();
    await failFiveTimes(user);
    await expectPrevented(await login(user.email, "yet another wrong one"));
    await expectPrevented(await login(user.email, user.password));
  });

  it("does not lock after four wrong passwords", async () => {
    const user = await createUser();
    for (let i = 0; i < 4; i++) expect((await login(user.email, `wrong ${i}`)).status).toBe(404);
    expect((await loggedIn(await login(user.email, user.password))).user.id).toBe(user.id);
  });

  it("locks only the user whose password was wrong", async () => {
    const locked = await createUser();
    const other = await createUser();
    await failFiveTimes(locked);
    await expectPrevented(await login(locked.email, locked.password));
    expect((await loggedIn(await login(other.email, other.password))).user.id).toBe(other.id);
  });
});

describe("login timing", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("derives exactly one PBKDF2 hash for an unknown user and for a wrong password", async () => {
    const user = await createUser();
    const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");

    expect((await login(uniqueEmail("nobody"), PASSWORD)).status).toBe(404);
    expect(deriveBits).toHaveBeenCalledTimes(1);
    const unknownCall = deriveBits.mock.calls[0]![0] as DeriveParams;

    deriveBits.mockClear();
    expect((await login(user.email, "not the password")).status).toBe(404);
    expect(deriveBits).toHaveBeenCalledTimes(1);
    const wrongCall = deriveBits.mock.calls[0]![0] as DeriveParams;

    // Same algorithm and work factor, so the two cost the same.
    expect(unknownCall.name).toBe("PBKDF2");
    expect(wrongCall.name).toBe("PBKDF2");
    expect(unknownCall.iterations).toBe(wrongCall.iterations);
  });
});

describe("a login's metaData", () => {
  /** A `metaData` whose JSON is `bytes` long, mostly quotes: escaped again where the object keeps it as JSON, the most it can take stored. */
  function metaData(bytes: number) {
    const padding = bytes - JSON.stringify({ device: { name: "phone", description: "" } }).length;
    return { device: { name: "phone", description: '"'.repeat(Math.floor(padding / 2)) + "x".repeat(padding % 2) } };
  }

  it("refuses 700 KB of metaData with [tooLarge]metaData and stores nothing, so later logins and the admin unlock still work", async () => {
    const user = await createTwoFactorUser();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(user.email, user.password, { metaData: metaData(700_000) })).status);
    expect([(await login(user.email, user.password)).status, (await call("POST", `/api/user/unlock/${user.id}`)).status]).toEqual([242, 200]);
    expect(statuses).toEqual([400, 400, 400, 400]);
    await expectFieldError(await login(user.email, user.password, { metaData: metaData(700_000) }), "metaData", "[tooLarge]metaData");
  });

  it("keeps 20 pending logins with metaData at the limit, and still logs in", async () => {
    const user = await createTwoFactorUser();
    for (let i = 0; i < 21; i++) expect((await login(user.email, user.password, { metaData: metaData(MAX_META_DATA_BYTES) })).status).toBe(242);
    await expectFieldError(await login(user.email, user.password, { metaData: metaData(MAX_META_DATA_BYTES + 1) }), "metaData", "[tooLarge]metaData");
    expect((await call("POST", `/api/user/unlock/${user.id}`)).status).toBe(200);
    const { logins } = await jsonBody(await call("GET", `/api/system/login-record/search?userId=${user.id}`));
    expect(logins).toEqual([]);
  });
});
