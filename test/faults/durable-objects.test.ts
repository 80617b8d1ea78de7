// Durable Object failures mid-request, through `app.request` with bindings whose stubs throw
// (failingNamespace): an empty 500, and nothing half-written — no 2FA state that the user's object
// does not hold, no email or id kept by a request that failed, no code or challenge used up. Then
// alarms delivered twice, which must be harmless.
import { twoFactorEnabled } from "../../src/domain/user";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import app from "../../src/index";
import {
  API_KEY,
  call,
  captureConsole,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  failingNamespace,
  login,
  newSecret,
  startTwoFactorLogin,
  twoFactorLogin,
  uniqueEmail,
} from "../helpers";
import { expireChallenge, challengeOf, readAccount, storedAccount } from "../storage";

const PASSWORD = "correct horse battery";

afterEach(() => {
  vi.restoreAllMocks();
});

/** One request with some Durable Object methods failing; checks the bare 500. */
async function failingRequest(path: string, init: { method: string; body?: unknown; apiKey?: boolean }, bindings: Partial<Env>): Promise<void> {
  captureConsole();
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (init.apiKey !== false) headers.Authorization = API_KEY;
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  const response = await app.request(path, { method: init.method, headers, body }, { ...env, ...bindings });
  expect(await emptyResponse(response)).toEqual({ status: 500, contentType: null, body: "" });
  expect(response.headers.get("X-Request-Id")).toBeTruthy();
  vi.restoreAllMocks();
}

const guardFailing = (...methods: string[]) => ({ USER_GUARD: failingNamespace(env.USER_GUARD, methods) });
const shownUser = async (id: string) => ((await (await call("GET", `/api/user/${id}`)).json()) as { user: { twoFactorEnabled: boolean; email: string } }).user;

describe("the user guard failing", () => {
  it("while enabling 2FA leaves it off everywhere, and a later enable with the same secret works", async () => {
    const user = await createUser();
    const secret = await newSecret();
    await failingRequest(`/api/user/two-factor/${user.id}`, { method: "POST", body: { code: await codeFor(secret), secret } }, guardFailing("enable"));
    expect((await shownUser(user.id)).twoFactorEnabled).toBe(false);
    expect(twoFactorEnabled((await readAccount(user.id)).user)).toBe(false);
    expect((await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret } })).status).toBe(200);
  });

  it("while disabling 2FA leaves it on, and the code is not used up", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const code = await codeFor(user.secret);
    await failingRequest(`/api/user/two-factor/${user.id}?code=${code}`, { method: "DELETE" }, guardFailing("disable"));
    expect((await shownUser(user.id)).twoFactorEnabled).toBe(true);
    expect((await login(user.email, user.password)).status).toBe(242);
    expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${code}`)).status).toBe(200);
  });

  it("while creating a 2FA user keeps neither the id nor the email", async () => {
    const id = crypto.randomUUID();
    const email = uniqueEmail("guard-fails");
    const user = { email, password: PASSWORD, twoFactorEnabled: true, twoFactorSecret: await newSecret() };
    await failingRequest(`/api/user/${id}`, { method: "POST", body: { user } }, guardFailing("create"));
    expect((await call("GET", `/api/user/${id}`)).status).toBe(404);
    expect((await call("POST", `/api/user/${id}`, { body: { user } })).status).toBe(200);
  });

  it("while a PATCH changes the email and enables 2FA leaves the user as it was and the new email free", async () => {
    const user = await createUser();
    const before = await (await call("GET", `/api/user/${user.id}`)).text();
    const email = uniqueEmail("patch-fails");
    const patch = { user: { email, twoFactorEnabled: true, twoFactorSecret: await newSecret() } };
    await failingRequest(`/api/user/${user.id}`, { method: "PATCH", body: patch }, guardFailing("update"));
    expect(await (await call("GET", `/api/user/${user.id}`)).text()).toBe(before);
    const other = await call("POST", "/api/user", { body: { user: { email, password: PASSWORD } } });
    expect(other.status, `the failed PATCH still holds ${email}: ${await other.clone().text()}`).toBe(200);
  });

  it("while checking a password creates no challenge and counts no failure", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await failingRequest("/api/login", { method: "POST", body: { loginId: user.email, password: "wrong password" } }, guardFailing("login"));
    expect((await readAccount(user.id)).guard.password.failures).toEqual([]);
    expect((await login(user.email, user.password)).status).toBe(242);
  });
});

describe("the user's object failing on the second login step", () => {
  it("uses up neither the challenge nor the code", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const code = await codeFor(user.secret);
    await failingRequest("/api/two-factor/login", { method: "POST", body: { twoFactorId, code }, apiKey: false }, guardFailing("completeLogin"));
    expect((await readAccount(user.id)).guard.lastAcceptedStep).toBe(-1);
    expect((await twoFactorLogin({ twoFactorId, code })).status).toBe(200);
  });
});

describe("an alarm delivered twice", () => {
  it("keeps a live challenge and its alarm at the expiry", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const { stub, key } = await challengeOf(twoFactorId);
    const pending = (state: DurableObjectState) => storedAccount(state).guard.challenges[key];
    const after = await runInDurableObject(stub, async (instance, state) => {
      const expiresAt = pending(state)!.expiresAt;
      await instance.alarm();
      await instance.alarm();
      return { expiresAt, alarm: await state.storage.getAlarm(), stored: pending(state) !== undefined };
    });
    expect(after).toEqual({ expiresAt: after.expiresAt, alarm: after.expiresAt, stored: true });
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // the login instant's replica write
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("deletes an expired challenge once and is a no-op the second time", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    await expireChallenge(twoFactorId);
    const { stub } = await challengeOf(twoFactorId);
    const after = await runInDurableObject(stub, async (instance, state) => {
      await instance.alarm();
      await instance.alarm();
      return { alarm: await state.storage.getAlarm(), pending: storedAccount(state).guard.challenges };
    });
    expect(after).toEqual({ alarm: null, pending: {} });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(404);
  });
});
