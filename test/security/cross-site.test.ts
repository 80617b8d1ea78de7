// The access_token cookie is not a cross-site credential: where it is the only credential, a body that
// is not JSON is 415 and a request from another origin (its `Origin`, or `Sec-Fetch-Site` when it has
// none) is 403, before anything changes; and a login step called from another origin sets no cookie,
// so a page elsewhere cannot log a browser in as someone else (login CSRF).
import { twoFactorEnabled } from "../../src/domain/user";
import { describe, expect, it } from "vitest";
import {
  accessToken,
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  jsonBody,
  newSecret,
  setCookies,
  startTwoFactorLogin,
  twoFactorLogin,
} from "../helpers";
import { readAccount } from "../storage";

const SELF = "http://localhost";
const EVIL = "https://evil.example";

/** The victim's browser: only the cookie, as a form or `fetch` with `credentials: "include"` sends it. */
const withCookie = (token: string, headers: Record<string, string> = {}) => ({ apiKey: null, headers: { Cookie: `access_token=${token}`, ...headers } });

/** An enable body with the attacker's own secret and its current code. */
async function attackersEnable(): Promise<string> {
  const secret = await newSecret();
  return JSON.stringify({ secret, code: await codeFor(secret) });
}

describe("a request whose only credential is the access_token cookie", () => {
  it.each([
    ["text/plain", { "Content-Type": "text/plain" }],
    ["form-urlencoded", { "Content-Type": "application/x-www-form-urlencoded" }],
    ["multipart", { "Content-Type": "multipart/form-data; boundary=x" }],
    ["no content type", { "Content-Type": "" }],
  ])("refuses a %s body with 415 and enables nothing, even from its own origin", async (_name, type) => {
    const user = await createUser();
    const token = await accessToken(user);
    const body = await attackersEnable();
    const response = await call("POST", "/api/user/two-factor", { ...withCookie(token, { Origin: SELF, ...type }), body });
    expect(response.status).toBe(415);
    expect(await jsonBody(response)).toEqual({ generalErrors: [{ code: "[UnsupportedMediaType]", message: expect.any(String) }] });
    expect(twoFactorEnabled((await readAccount(user.id))!.user)).toBe(false);
  });

  it.each([
    ["Origin of another site", { Origin: EVIL }],
    ["Origin null (a sandboxed page)", { Origin: "null" }],
    ["Origin of another port", { Origin: "http://localhost:8080" }],
    ["Sec-Fetch-Site: cross-site", { "Sec-Fetch-Site": "cross-site" }],
    ["Sec-Fetch-Site: same-site (a sibling subdomain)", { "Sec-Fetch-Site": "same-site" }],
  ])("refuses a JSON request with %s with 403 and enables nothing", async (_name, origin) => {
    const user = await createUser();
    const token = await accessToken(user);
    const response = await call("POST", "/api/user/two-factor", { ...withCookie(token, origin), body: await attackersEnable() });
    expect(response.status).toBe(403);
    expect(await jsonBody(response)).toEqual({ generalErrors: [{ code: "[CrossSiteRequest]", message: expect.any(String) }] });
    expect(twoFactorEnabled((await readAccount(user.id))!.user)).toBe(false);
  });

  it("refuses a cross-origin request without a body too (DELETE, recovery codes)", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    expect((await call("DELETE", "/api/user/two-factor?code=123456", withCookie(token, { Origin: EVIL }))).status).toBe(403);
    expect((await call("POST", "/api/user/two-factor/recovery-code", withCookie(token, { Origin: EVIL }))).status).toBe(403);
  });

  it("accepts JSON from its own origin, or with no Origin at all (a same-origin GET, a server)", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const headers = { Origin: SELF, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json; charset=utf-8" };
    expect((await call("POST", "/api/user/two-factor", { ...withCookie(token, headers), body: await attackersEnable() })).status).toBe(200);
    expect((await call("GET", "/api/user", withCookie(token))).status).toBe(200);
  });

  it("leaves Bearer tokens and API keys alone: they are not sent by a browser on its own", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const bearer = { apiKey: null, headers: { Authorization: `Bearer ${token}`, Origin: EVIL, "Content-Type": "application/json" } };
    expect((await call("GET", "/api/user", bearer)).status).toBe(200);
    const other = await createUser();
    expect((await call("GET", `/api/user/${other.id}`, { headers: { Origin: EVIL } })).status).toBe(200);
  });
});

describe("a login step called from another origin", () => {
  it("answers the token and trust id in its body but sets no cookie", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const response = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret), trustComputer: true }, { Origin: EVIL });
    expect(response.status).toBe(200);
    expect(await jsonBody(response)).toMatchObject({ token: expect.any(String), twoFactorTrustId: expect.any(String) });
    expect(setCookies(response)).toEqual([]);
  });

  it("sets both cookies when called from its own origin", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const response = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret), trustComputer: true }, { Origin: SELF });
    expect(response.status).toBe(200);
    expect(setCookies(response).map((cookie) => cookie.split("=")[0])).toEqual(["access_token", "fusionauth.trust"]);
  });
});
