// Trusted computers, and consistency when the KV replica is stale (the user's Durable Object
// decides everything checked at login time). Every test makes its own users;
// a user gets at most two successful codes (current step, then next step), computed right before use.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  jsonBody,
  login,
  newSecret,
  setCookies,
  startTwoFactorLogin,
  trustedLogin,
  twoFactorLogin,
} from "../helpers";
import { editAccount, readAccount, kvKeys } from "../storage";

const EMPTY = { contentType: null, body: "" };

describe("trusted computers", () => {
  it("returns a trust id and an HttpOnly, Secure, SameSite=Lax fusionauth.trust cookie that skip 2FA later", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const { response, trustId } = await trustedLogin(user);
    expect(trustId).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const cookie = setCookies(response).find((header) => header.startsWith("fusionauth.trust="));
    expect(cookie).toBeDefined();
    expect(cookie!.split(";")[0]).toBe(`fusionauth.trust=${trustId}`);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);

    const byBody = await login(user.email, user.password, { twoFactorTrustId: trustId });
    expect(byBody.status).toBe(200);
    expect((await jsonBody(byBody)).token).toBeTruthy();
    const byCookie = await login(user.email, user.password, {}, { Cookie: `fusionauth.trust=${trustId}` });
    expect(byCookie.status).toBe(200);
  });

  it("stores only a hash of the trust id, expiring after 30 days, and refuses it once expired", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const now = Date.now();
    const { trustId } = await trustedLogin(user);
    const { trust } = (await readAccount(user.id)).guard;
    expect(Object.keys(trust)).toHaveLength(1);
    expect(JSON.stringify(trust)).not.toContain(trustId);
    expect(Math.abs(Object.values(trust)[0]!.expiresAt - (now + 2_592_000_000))).toBeLessThanOrEqual(5_000);
    await editAccount(user.id, ({ guard }) => {
      for (const device of Object.values(guard.trust)) device.expiresAt = Date.now() - 1_000;
    });
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId })).status).toBe(242);
  });

  it("gives no trust id or trust cookie without trustComputer", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const response = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret) });
    expect(response.status).toBe(200);
    expect(await jsonBody(response)).not.toHaveProperty("twoFactorTrustId");
    expect(setCookies(response).join("\n")).not.toContain("fusionauth.trust");
  });

  it("lets the cookie win over the body field", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const { trustId } = await trustedLogin(user);
    const goodCookie = await login(user.email, user.password, { twoFactorTrustId: "garbage" }, { Cookie: `fusionauth.trust=${trustId}` });
    expect(goodCookie.status).toBe(200);
    const badCookie = await login(user.email, user.password, { twoFactorTrustId: trustId }, { Cookie: "fusionauth.trust=garbage" });
    expect(badCookie.status).toBe(242);
  });

  it("does not let one user's trust id skip 2FA for another user", async () => {
    const owner = await createTwoFactorUserWithoutCode();
    const other = await createTwoFactorUserWithoutCode();
    const { trustId } = await trustedLogin(owner);
    expect((await login(other.email, other.password, { twoFactorTrustId: trustId })).status).toBe(242);
    expect((await login(other.email, other.password, {}, { Cookie: `fusionauth.trust=${trustId}` })).status).toBe(242);
  });

  it("revokes trust ids when 2FA is disabled, even after it is enabled again", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const { trustId } = await trustedLogin(user);
    const disabled = await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret, 1)}`);
    expect(disabled.status).toBe(200);
    const reenabled = await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: user.secret } } });
    expect(reenabled.status).toBe(200);
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId })).status).toBe(242);
    expect((await login(user.email, user.password, {}, { Cookie: `fusionauth.trust=${trustId}` })).status).toBe(242);
  });
});

describe("consistency with a stale KV replica", () => {
  const userKey = kvKeys.user;

  it("still requires 2FA when KV still holds the record from before the enable", async () => {
    const user = await createUser();
    const before = await env.KV.get(userKey(user.id));
    expect(JSON.parse(before!).user.twoFactorEnabled).toBe(false);
    const secret = await newSecret();
    const enabled = await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery: "None" } });
    expect(enabled.status).toBe(200);
    await env.KV.put(userKey(user.id), before!);

    const started = await login(user.email, user.password);
    expect(started.status).toBe(242);
    const { twoFactorId } = await jsonBody<{ twoFactorId: string }>(started);
    const done = await twoFactorLogin({ twoFactorId, code: await codeFor(secret, 1) });
    expect(done.status).toBe(200);
    expect((await jsonBody(done)).user.twoFactorEnabled).toBe(true);
  });

  it("skips 2FA and refuses old challenges and trust ids when KV still holds the record from before the disable", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const { trustId: twoFactorTrustId } = await trustedLogin(user);
    const pending = await startTwoFactorLogin(user);
    const before = await env.KV.get(userKey(user.id));
    expect(JSON.parse(before!)).toMatchObject({ user: { twoFactorEnabled: true } });
    expect(before).not.toContain("twoFactorSecret");

    const lastCode = await codeFor(user.secret, 1);
    expect((await call("DELETE", `/api/user/two-factor?userId=${user.id}&code=${lastCode}`)).status).toBe(200);
    await env.KV.put(userKey(user.id), before!);

    const direct = await login(user.email, user.password);
    expect(direct.status).toBe(200);
    expect((await jsonBody(direct)).token).toBeTruthy();
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId: pending, code: lastCode }))).toEqual({ status: 404, ...EMPTY });

    // Enabled again (no code needed through the User API) with KV stale once more: the old trust id is dead.
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: user.secret } } })).status).toBe(200);
    await env.KV.put(userKey(user.id), before!);
    expect((await login(user.email, user.password, { twoFactorTrustId })).status).toBe(242);
  });

  it("reports the Durable Object's 2FA state in the login response, not the stale KV copy", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const before = await env.KV.get(userKey(user.id));
    expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret)}`)).status).toBe(200);
    await env.KV.put(userKey(user.id), before!);
    const direct = await login(user.email, user.password);
    expect(direct.status).toBe(200);
    expect((await jsonBody(direct)).user).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None" });
  });
});
