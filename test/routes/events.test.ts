// Events (issue #15, FusionAuth's envelope https://fusionauth.io/docs/extend/events-and-webhooks/events/):
// each type on each path that emits it, failures and lockouts included, and that no event carries a
// password, hash, 2FA secret, code, recovery code, trust id, twoFactorId or token.
//
// One webhook subscribes to every type; the queue's `sendBatch` is replaced by a spy that keeps the
// messages (test/routes/webhooks.test.ts delivers messages through the consumer). `app.request` has no
// execution context, so a request's events are enqueued before it answers; the SMS guard's refusals
// use the request's `waitUntil` and are awaited with `vi.waitFor`.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EVENT_TYPES, type EventMessage, type EventType, type WebhookEvent } from "../../src/domain/events";
import {
  advanceClock,
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  freezeClock,
  jsonBody,
  login,
  newSecret,
  startTwoFactorLogin,
  trustedLogin,
  twoFactorLogin,
  wrongCode,
  recordEvents,
} from "../helpers";
import { readAccount } from "../storage";
import { configureTwilio, installFakeTwilio } from "../twilio-fake";

let webhookId: string;
let sent: EventMessage[] = [];

beforeAll(async () => {
  const eventsEnabled = Object.fromEntries(EVENT_TYPES.map((type) => [type, true]));
  const response = await call("POST", "/api/webhook", { body: { webhook: { url: "https://receiver.example/events", eventsEnabled } } });
  expect(response.status).toBe(200);
  webhookId = (await jsonBody<{ webhook: { id: string } }>(response)).webhook.id;
});

beforeEach(() => {
  sent = recordEvents();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The events sent so far about user `userId` (in order), or of `type` when given. */
const eventsOf = (userId: string, type?: EventType): WebhookEvent[] =>
  sent.map((message) => message.event).filter((event) => event.userId === userId && (type === undefined || event.type === type));

const typesOf = (userId: string) => eventsOf(userId).map((event) => event.type);

/** The events of one request: what `act` sent about `userId`. */
async function during(userId: string, act: () => Promise<unknown>): Promise<WebhookEvent[]> {
  const before = sent.length;
  await act();
  return sent
    .slice(before)
    .map((message) => message.event)
    .filter((event) => event.userId === userId);
}

/** A 2FA login with trustComputer, with the code `steps` time steps from now (a step is used once). */
async function trustDevice(user: { email: string; password: string; secret: string }, steps: number): Promise<string> {
  const response = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret, steps), trustComputer: true });
  expect(response.status).toBe(200);
  return (await jsonBody<{ twoFactorTrustId: string }>(response)).twoFactorTrustId;
}

const recoveryCodes = async (userId: string) =>
  (await jsonBody<{ recoveryCodes: string[] }>(await call("POST", `/api/user/two-factor/recovery-code/${userId}`))).recoveryCodes;

describe("the envelope", () => {
  it("sends one message per subscribed webhook, in FusionAuth's shape with a random id", async () => {
    const user = await createUser();
    await login(user.email, user.password, { applicationId: "3c219e58-ed0e-4b18-ad48-f4f92793ae32", ipAddress: "203.0.113.7" });
    const [event] = eventsOf(user.id, "user.login.success");
    expect(sent.every((message) => message.webhookId === webhookId)).toBe(true);
    expect(event).toEqual({
      type: "user.login.success",
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      createInstant: expect.any(Number),
      userId: user.id,
      user: expect.objectContaining({ id: user.id, email: user.email }),
      applicationId: "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
      ipAddress: "203.0.113.7",
      info: { authenticationType: "PASSWORD", twoFactor: "not-enabled" },
    });
    expect(event!.user).not.toHaveProperty("data");
  });

  it("believes the ipAddress of a two-factor login only when it comes with a valid API key, and refuses a wrong key", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const body = async (steps: number) => ({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret, steps), ipAddress: "203.0.113.8" });
    const wrongKey = await twoFactorLogin(await body(0), { Authorization: "not-an-api-key" });
    expect(wrongKey.status).toBe(401);
    expect((await call("POST", "/api/two-factor/login", { body: await body(0) })).status).toBe(200);
    expect((await twoFactorLogin(await body(1))).status).toBe(200);
    expect(eventsOf(user.id, "user.login.success").map((event) => event.ipAddress)).toEqual(["203.0.113.8", undefined]);
  });

  it("sends nothing for a type no webhook subscribes to", async () => {
    await call("PUT", `/api/webhook/${webhookId}`, { body: { webhook: { url: "https://receiver.example/events", eventsEnabled: { "user.delete": true } } } });
    try {
      const user = await createUser();
      await login(user.email, user.password);
      expect(env.EVENTS.sendBatch).not.toHaveBeenCalled();
    } finally {
      const eventsEnabled = Object.fromEntries(EVENT_TYPES.map((type) => [type, true]));
      await call("PUT", `/api/webhook/${webhookId}`, { body: { webhook: { url: "https://receiver.example/events", eventsEnabled } } });
    }
  });
});

describe("the User API", () => {
  it("user.create, user.update (with the original), user.delete", async () => {
    const user = await createUser({ firstName: "Ada" });
    await call("PATCH", `/api/user/${user.id}`, { body: { user: { firstName: "Grace" } } });
    await call("DELETE", `/api/user/${user.id}`);
    expect(typesOf(user.id)).toEqual(["user.create", "user.update", "user.delete"]);
    const [update] = eventsOf(user.id, "user.update");
    expect(update!.user!.firstName).toBe("Grace");
    expect((update!.info as { original: { firstName: string } }).original.firstName).toBe("Ada");
  });
});

describe("the password step", () => {
  it("user.login.success for a password-only login, user.login.failed (password) for a wrong one", async () => {
    const user = await createUser();
    expect((await login(user.email, user.password)).status).toBe(200);
    expect((await login(user.email, "wrong password")).status).toBe(404);
    expect(eventsOf(user.id).map((event) => [event.type, event.info])).toEqual([
      ["user.create", {}],
      ["user.login.success", { authenticationType: "PASSWORD", twoFactor: "not-enabled" }],
      ["user.login.failed", { reason: "password" }],
    ]);
  });

  it("the fifth wrong password locks login: user.action (prevent-login), then user.login.failed (locked) even with the right password", async () => {
    const user = await createUser();
    const failures = await during(user.id, async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) await login(user.email, `wrong ${attempt}`);
    });
    expect(failures.map((event) => event.type)).toEqual([...Array(5).fill("user.login.failed"), "user.action"]);
    const action = failures.at(-1)!;
    expect(action.info).toEqual({ action: "prevent-login", reason: "password", expiry: expect.any(Number) });
    expect((action.info as { expiry: number }).expiry).toBeGreaterThan(Date.now());
    const locked = await during(user.id, () => login(user.email, user.password));
    expect(locked.map((event) => [event.type, event.info])).toEqual([["user.login.failed", { reason: "locked" }]]);
  });

  it("sends nothing for an unknown login id (FusionAuth has no user to name)", async () => {
    const before = sent.length;
    await login("nobody-at-all@example.com", "wrong password");
    expect(sent.slice(before)).toEqual([]);
  });
});

describe("the two-factor step", () => {
  it("user.login.success (code), user.trust.issued for trustComputer, then user.login.success (trusted)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const { trustId } = await trustedLogin(user);
    const issued = eventsOf(user.id, "user.trust.issued");
    expect(issued).toHaveLength(1);
    expect((issued[0]!.info as { expiry: number }).expiry).toBeGreaterThan(Date.now());
    expect(eventsOf(user.id, "user.login.success").map((event) => event.info)).toEqual([{ authenticationType: "PASSWORD", twoFactor: "code" }]);
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId })).status).toBe(200);
    expect(eventsOf(user.id, "user.login.success").at(-1)!.info).toEqual({ authenticationType: "PASSWORD", twoFactor: "trusted" });
  });

  it("user.login.failed (two-factor-code) for a wrong code; five lock login: user.action (two-factor), then locked", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const failures = await during(user.id, async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await wrongCode(user.secret) });
      }
    });
    expect(failures.map((event) => [event.type, event.info])).toEqual([
      ...Array(5).fill(["user.login.failed", { reason: "two-factor-code" }]),
      ["user.action", { action: "prevent-login", reason: "two-factor", expiry: expect.any(Number) }],
    ]);
    const locked = await during(user.id, () => login(user.email, user.password));
    expect(locked.map((event) => [event.type, event.info])).toEqual([["user.login.failed", { reason: "locked" }]]);
  });

  it("a recovery code completes a login: user.login.success (recovery-code) and user.two-factor.recovery-code.used with the codes left", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const [code] = await recoveryCodes(user.id);
    const events = await during(user.id, async () => {
      expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code })).status).toBe(200);
    });
    expect(events.map((event) => [event.type, event.info])).toEqual([
      ["user.login.success", { authenticationType: "PASSWORD", twoFactor: "recovery-code" }],
      ["user.two-factor.recovery-code.used", { remaining: 9 }],
    ]);
  });

  it("a wrong code shaped like a recovery code: user.login.failed (recovery-code)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await recoveryCodes(user.id);
    const events = await during(user.id, async () => {
      expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "AAAAA-BBBBB" })).status).toBe(421);
    });
    expect(events.map((event) => [event.type, event.info])).toEqual([["user.login.failed", { reason: "recovery-code" }]]);
  });
});

describe("enrolment", () => {
  it("enable: user.two-factor.method.add (enable); disable with a code: .remove (disable) and user.trust.revoked for its devices", async () => {
    freezeClock();
    const user = await createUser();
    const secret = await newSecret();
    expect((await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery: "None" } })).status).toBe(200);
    expect(eventsOf(user.id, "user.two-factor.method.add").map((event) => event.info)).toEqual([{ method: "authenticator", source: "enable" }]);
    // A trusted device (the enable used the current step: the login takes the next one).
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(secret, 1), trustComputer: true })).status).toBe(200);
    // A wrong code on a disable is no login: no event.
    const refused = await during(user.id, async () => {
      expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${await wrongCode(secret)}`)).status).toBe(421);
    });
    expect(refused).toEqual([]);
    const disabled = await during(user.id, async () => {
      // The login used the next step; the disable takes the one after, a step later.
      advanceClock(30);
      expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(secret, 1)}`)).status).toBe(200);
    });
    expect(disabled.map((event) => [event.type, event.info])).toEqual([
      ["user.two-factor.method.remove", { method: "authenticator", source: "disable" }],
      ["user.trust.revoked", { reason: "two-factor-disabled", count: 1 }],
    ]);
  });

  it("disable with a recovery code: user.two-factor.recovery-code.used (none left: the disable deletes them) and .remove", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const [, code] = await recoveryCodes(user.id);
    const events = await during(user.id, async () => {
      expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${encodeURIComponent(code!)}`)).status).toBe(200);
    });
    expect(events.map((event) => [event.type, event.info])).toEqual([
      ["user.two-factor.recovery-code.used", { remaining: 0 }],
      ["user.two-factor.method.remove", { method: "authenticator", source: "disable" }],
    ]);
  });

  it("wrong codes on a disable are no login (no user.login.failed), but the fifth locks login: user.action (two-factor)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const events = await during(user.id, async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${await wrongCode(user.secret)}`)).status).toBe(421);
      }
    });
    expect(events.map((event) => [event.type, event.info])).toEqual([
      ["user.action", { action: "prevent-login", reason: "two-factor", expiry: expect.any(Number) }],
    ]);
  });

  it("the User API: .add (user-api), and the admin reset .remove (admin-reset) with user.trust.revoked", async () => {
    const user = await createTwoFactorUserWithoutCode();
    expect(eventsOf(user.id, "user.two-factor.method.add").map((event) => event.info)).toEqual([{ method: "authenticator", source: "user-api" }]);
    await trustedLogin(user);
    const events = await during(user.id, () => call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: false } } }));
    expect(events.map((event) => [event.type, event.info])).toEqual([
      ["user.update", expect.anything()],
      ["user.two-factor.method.remove", { method: "authenticator", source: "admin-reset" }],
      ["user.trust.revoked", { reason: "two-factor-disabled", count: 1 }],
    ]);
  });
});

describe("trusted devices", () => {
  it("user.trust.revoked (api) with the count revoked; nothing when there was none", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await trustDevice(user, 0);
    await trustDevice(user, 1);
    const events = await during(user.id, () => call("DELETE", `/api/user/two-factor/trust/${user.id}`));
    expect(events.map((event) => [event.type, event.info])).toEqual([["user.trust.revoked", { reason: "api", count: 2 }]]);
    expect(await during(user.id, () => call("DELETE", `/api/user/two-factor/trust/${user.id}`))).toEqual([]);
  });

  it("user.trust.revoked for a new password (password-changed) and a deactivation (deactivated)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await trustedLogin(user);
    const changed = await during(user.id, () => call("PATCH", `/api/user/${user.id}`, { body: { user: { password: "another horse battery" } } }));
    expect(changed.filter((event) => event.type === "user.trust.revoked").map((event) => event.info)).toEqual([{ reason: "password-changed", count: 1 }]);
    await trustDevice({ ...user, password: "another horse battery" }, 1);
    const deactivated = await during(user.id, () => call("PATCH", `/api/user/${user.id}`, { body: { user: { active: false } } }));
    expect(deactivated.filter((event) => event.type === "user.trust.revoked").map((event) => event.info)).toEqual([{ reason: "deactivated", count: 1 }]);
  });

  it("user.trust.revoked says password-changed for a second new password within the same millisecond", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await call("PATCH", `/api/user/${user.id}`, { body: { user: { password: "first new horse battery" } } });
    await trustDevice({ ...user, password: "first new horse battery" }, 1);
    freezeClock();
    await call("PATCH", `/api/user/${user.id}`, { body: { user: { password: "second new horse battery" } } });
    await trustDevice({ ...user, password: "second new horse battery" }, 1);
    const changed = await during(user.id, () => call("PATCH", `/api/user/${user.id}`, { body: { user: { password: "third new horse battery" } } }));
    expect(changed.filter((event) => event.type === "user.trust.revoked").map((event) => event.info)).toEqual([{ reason: "password-changed", count: 1 }]);
  });
});

describe("the SMS guard", () => {
  it("sms.refused for a refused text: the reason, country and masked range, never the number", async () => {
    installFakeTwilio();
    expect((await configureTwilio()).status).toBe(200);
    const before = sent.length;
    const response = await call("POST", "/api/two-factor/send", { body: { mobilePhone: "+1 900 555 0123", secret: await newSecret() } });
    expect(response.status).toBe(400);
    await vi.waitFor(() => expect(sent.length).toBeGreaterThan(before));
    const [event] = sent.slice(before).map((message) => message.event);
    expect(event).toMatchObject({ type: "sms.refused", info: { reason: "number-type", country: "US", purpose: "enrolment" } });
    expect(event).not.toHaveProperty("userId");
    // The event's info, not its envelope: `createInstant` can hold the digits 0123 by chance.
    const text = JSON.stringify(event!.info);
    expect(text).not.toMatch(/9005550123|900 555 0123/);
    expect(text).not.toMatch(/0123/);
  });
});

describe("secrets", () => {
  it("no event carries a password, its hash, the 2FA secret, a code, a recovery code, a trust id, a twoFactorId or a token", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const codes = await recoveryCodes(user.id);
    const stored = await readAccount(user.id);
    const secrets: string[] = [
      user.password,
      user.secret,
      stored.user.password.hash,
      stored.user.password.salt,
      ...stored.user.twoFactor.methods.map((method) => ("secret" in method ? method.secret : "")),
      ...codes,
    ];
    secrets.push(...codes.map((code) => code.replace("-", "")), ...stored.guard.recoveryCodes);

    const twoFactorId = await startTwoFactorLogin(user);
    const wrong = await wrongCode(user.secret);
    await twoFactorLogin({ twoFactorId, code: wrong });
    const code = await codeFor(user.secret);
    const accepted = await jsonBody<{ token: string; twoFactorTrustId: string }>(await twoFactorLogin({ twoFactorId, code, trustComputer: true }));
    const recoveryLoginId = await startTwoFactorLogin(user);
    await twoFactorLogin({ twoFactorId: recoveryLoginId, code: codes[0] });
    const jwt = await jsonBody<{ token: string }>(await login(user.email, user.password, { twoFactorTrustId: accepted.twoFactorTrustId }));
    await call("DELETE", `/api/user/two-factor/${user.id}?code=${encodeURIComponent(codes[1]!)}`);
    await call("PATCH", `/api/user/${user.id}`, { body: { user: { password: "another horse battery" } } });
    secrets.push(twoFactorId, recoveryLoginId, wrong, code, accepted.token, accepted.twoFactorTrustId, jwt.token);

    const events = eventsOf(user.id);
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set([
        "user.create",
        "user.update",
        "user.two-factor.method.add",
        "user.login.failed",
        "user.login.success",
        "user.trust.issued",
        "user.two-factor.recovery-code.used",
        "user.two-factor.method.remove",
        "user.trust.revoked",
      ]),
    );
    const text = JSON.stringify(sent);
    for (const secret of secrets) expect(text, secret).not.toContain(secret);
    expect(text).not.toMatch(/"(password|twoFactorSecret|secret|code|token|trustId|twoFactorTrustId|twoFactorId|recoveryCodes)":/);
  });
});
