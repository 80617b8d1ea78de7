// The `email` method of the Multi-Factor API (https://fusionauth.io/docs/apis/two-factor), attacked
// at the routes: enrolment (the address a code was sent to is the one enabled), codes bound to their
// address, purpose, lifetime and login, single use, a send replacing the code before it, the JWT
// forms, disable, Start, the lockout, races, a transport that fails, and the no-address-in-logs rule.
// Codes are read from the local outbox (EMAIL_LOCAL_OUTBOX, set for this project in vitest.config.ts),
// which keeps what the Cloudflare Email Service binding sent. The official client's flows are in
// test/e2e/email.test.ts.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import type { PublicMethod } from "../../src/domain/methods";
import { receivedBy, smtpIntegration } from "../email/smtp-integration";
import { accessToken, advanceClock, call, captureConsole, createUser, emptyResponse, jsonBody, login, twoFactorLogin } from "../helpers";

const EMPTY_200 = { status: 200, contentType: null, body: "" };
/** A code no email of these tests holds: where one was sent, the test checks it is not this. */
const WRONG_CODE = "000000";
const CODES_TO_LOCK = 5;

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// ---- Helpers ----

let addresses = 0;

/** An address of this test's own: each gets its own per-address and spacing limits. */
function newAddress(domain = "example.com") {
  addresses += 1;
  return `jane.${addresses}.${crypto.randomUUID().slice(0, 8)}@${domain}`;
}

type OutboxMessage = { to: string; subject: string; text: string; html: string; sentAt: number };

/** What the local outbox holds for `to`, oldest first. */
async function mailTo(to: string): Promise<OutboxMessage[]> {
  const response = await call("GET", `/api/email/outbox?to=${encodeURIComponent(to)}`);
  expect(response.status).toBe(200);
  return (await jsonBody<{ messages: OutboxMessage[] }>(response)).messages;
}

/** The code in the newest email to `to`. */
async function codeMailedTo(to: string): Promise<string> {
  const newest = (await mailTo(to)).at(-1);
  expect(newest, `an email to ${to}`).toBeDefined();
  return /\b(\d{6})\b/.exec(newest!.text)![1]!;
}

const send = (body: Record<string, unknown>, headers: Record<string, string> = {}) => call("POST", "/api/two-factor/send", { body, headers });
const enable = (userId: string, body: Record<string, unknown>) => call("POST", `/api/user/two-factor/${userId}`, { body });
const loginSend = (twoFactorId: string, methodId: string) => call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, body: { methodId } });
const disable = (userId: string, methodId: string, code: string) => call("DELETE", `/api/user/two-factor/${userId}`, { body: { methodId, code } });

async function methodsOf(userId: string): Promise<PublicMethod[]> {
  const { user } = await jsonBody(await call("GET", `/api/user/${userId}`));
  return (user.twoFactor?.methods ?? []) as PublicMethod[];
}

/** A user whose only second factor is the email method at a new address. */
async function emailUser() {
  const user = await createUser();
  const address = newAddress();
  expect(await emptyResponse(await send({ userId: user.id, method: "email", email: address }))).toEqual(EMPTY_200);
  const enabled = await enable(user.id, { method: "email", email: address, code: await codeMailedTo(address) });
  expect(enabled.status, await enabled.clone().text()).toBe(200);
  const [method] = await methodsOf(user.id);
  return { ...user, address, emailId: method!.id, recoveryCodes: (await jsonBody<{ recoveryCodes: string[] }>(enabled)).recoveryCodes };
}

/** The twoFactorId of a password login that must answer 242, and the methods it lists. */
async function pendingLogin(user: { email: string; password: string }) {
  const response = await login(user.email, user.password);
  expect(response.status).toBe(242);
  return jsonBody<{ twoFactorId: string; methods: PublicMethod[] }>(response);
}

const fieldErrors = async (response: Response) => {
  expect(response.status).toBe(400);
  const { fieldErrors } = await jsonBody<{ fieldErrors: Record<string, Array<{ code: string }>> }>(response);
  return Object.fromEntries(Object.entries(fieldErrors).map(([field, errors]) => [field, errors.map((error) => error.code)]));
};

// ---- Enrolment ----

describe("enabling an email method", () => {
  it("emails a code to the address, enables the address it was sent to with it, and answers the recovery codes", async () => {
    const user = await createUser();
    const typed = newAddress("Example.COM");
    expect(await emptyResponse(await send({ userId: user.id, method: "email", email: `  ${typed} ` }))).toEqual(EMPTY_200);
    const stored = typed.replace("Example.COM", "example.com");
    const [message] = await mailTo(stored);
    expect(message!.to).toBe(stored);
    const code = await codeMailedTo(stored);
    const enabled = await enable(user.id, { method: "email", email: typed, code });
    expect(enabled.status).toBe(200);
    expect((await jsonBody<{ recoveryCodes: string[] }>(enabled)).recoveryCodes).toHaveLength(10);
    expect(await methodsOf(user.id)).toEqual([{ id: expect.stringMatching(/^[A-Z0-9]{4}$/), method: "email", email: stored }]);
    // Used up.
    expect((await enable(user.id, { method: "email", email: stored, code })).status).toBe(421);
  });

  it("refuses a code sent to another address ([mismatch]email) and changes nothing; the code still enables its own address", async () => {
    const user = await createUser();
    const sentTo = newAddress();
    expect((await send({ userId: user.id, method: "email", email: sentTo })).status).toBe(200);
    const code = await codeMailedTo(sentTo);
    expect(await fieldErrors(await enable(user.id, { method: "email", email: newAddress(), code }))).toEqual({ email: ["[mismatch]email"] });
    expect(await fieldErrors(await enable(user.id, { method: "sms", mobilePhone: "555-555-0199", code }))).toEqual({ mobilePhone: ["[mismatch]mobilePhone"] });
    expect(await methodsOf(user.id)).toEqual([]);
    expect((await enable(user.id, { method: "email", email: sentTo, code })).status).toBe(200);
  });

  it("keeps a code 60 seconds", async () => {
    const user = await createUser();
    const address = newAddress();
    await send({ userId: user.id, method: "email", email: address });
    const code = await codeMailedTo(address);
    advanceClock(61);
    expect((await enable(user.id, { method: "email", email: address, code })).status).toBe(421);
    expect(await methodsOf(user.id)).toEqual([]);
  });

  it("refuses what is not an address, or none, before anything is sent", async () => {
    const user = await createUser();
    expect(await fieldErrors(await send({ userId: user.id, method: "email", email: "jane@localhost" }))).toEqual({ email: ["[invalid]email"] });
    expect(await fieldErrors(await send({ userId: user.id, method: "email", email: "a@b.example\r\nBcc: x@evil.example" }))).toEqual({
      email: ["[invalid]email"],
    });
    expect(await fieldErrors(await send({ userId: user.id, method: "email" }))).toEqual({ email: ["[blank]email"] });
    expect(await fieldErrors(await enable(user.id, { method: "email", code: "123456" }))).toEqual({ email: ["[blank]email"] });
    expect(await mailTo("jane@localhost")).toEqual([]);
  });

  it("takes the JWT forms: a send and an enable without userId, for the token's user", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const address = newAddress();
    const bearer = { Authorization: `Bearer ${token}` };
    expect((await call("POST", "/api/two-factor/send", { apiKey: null, headers: bearer, body: { method: "email", email: address } })).status).toBe(200);
    const code = await codeMailedTo(address);
    const enabled = await call("POST", "/api/user/two-factor", { apiKey: null, headers: bearer, body: { method: "email", email: address, code } });
    expect(enabled.status).toBe(200);
    expect((await methodsOf(user.id)).map((method) => method.method)).toEqual(["email"]);
  });

  it("lets one of two enables with one code win", async () => {
    const user = await createUser();
    const address = newAddress();
    await send({ userId: user.id, method: "email", email: address });
    const code = await codeMailedTo(address);
    const answers = await Promise.all([1, 2].map(() => enable(user.id, { method: "email", email: address, code })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 421]);
    expect(await methodsOf(user.id)).toHaveLength(1);
  });
});

// ---- Logging in ----

describe("logging in with an email method", () => {
  it("lists the method in the 242, emails a code by methodId, and takes it once", async () => {
    const user = await emailUser();
    const { twoFactorId, methods } = await pendingLogin(user);
    expect(methods).toEqual([{ id: user.emailId, method: "email", email: user.address }]);
    const before = (await mailTo(user.address)).length;
    expect(await emptyResponse(await loginSend(twoFactorId, user.emailId))).toEqual(EMPTY_200);
    expect(await mailTo(user.address)).toHaveLength(before + 1);
    const code = await codeMailedTo(user.address);
    const completed = await twoFactorLogin({ twoFactorId, code });
    expect(completed.status).toBe(200);
    const { user: loggedIn } = await jsonBody<{ user: { twoFactor: { methods: PublicMethod[] } } }>(completed);
    expect(loggedIn.twoFactor.methods[0]!.lastUsed).toBe(true);
    expect((await twoFactorLogin({ twoFactorId, code })).status).toBe(404);
  });

  it("voids a login's code when a new one is sent, and binds each code to its login", async () => {
    const user = await emailUser();
    const first = await pendingLogin(user);
    await loginSend(first.twoFactorId, user.emailId);
    const replaced = await codeMailedTo(user.address);
    advanceClock(31); // sends for one purpose to one address are spaced
    await loginSend(first.twoFactorId, user.emailId);
    const current = await codeMailedTo(user.address);
    const second = await pendingLogin(user);
    if (replaced !== current) expect((await twoFactorLogin({ twoFactorId: first.twoFactorId, code: replaced })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: second.twoFactorId, code: current })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: first.twoFactorId, code: current })).status).toBe(200);
  });

  it("counts wrong codes toward the lockout", async () => {
    const user = await emailUser();
    const { twoFactorId } = await pendingLogin(user);
    await loginSend(twoFactorId, user.emailId);
    const right = await codeMailedTo(user.address);
    // Each a different code: the same wrong code sent again (a retry) counts once.
    const wrong = ["000001", "000002", "000003", "000004", "000005", "000006"].filter((code) => code !== right).slice(0, CODES_TO_LOCK);
    for (const code of wrong) expect((await twoFactorLogin({ twoFactorId, code })).status).toBe(421);
    expect((await login(user.email, user.password)).status).toBe(409);
  });

  it("completes a Start with a code emailed by methodId", async () => {
    const user = await emailUser();
    const started = await jsonBody<{ code: string; twoFactorId: string; methods: PublicMethod[] }>(
      await call("POST", "/api/two-factor/start", { body: { userId: user.id } }),
    );
    expect(started.methods.map((method) => method.method)).toEqual(["email"]);
    expect((await loginSend(started.twoFactorId, user.emailId)).status).toBe(200);
    const mailed = await codeMailedTo(user.address);
    expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: mailed })).status).toBe(200);
  });
});

// ---- Disabling ----

describe("disabling an email method", () => {
  it("emails a disable code to the method's address, which removes that method only with it", async () => {
    const user = await emailUser();
    expect((await send({ userId: user.id, methodId: user.emailId })).status).toBe(200);
    const code = await codeMailedTo(user.address);
    expect(code).not.toBe(WRONG_CODE);
    expect((await disable(user.id, user.emailId, WRONG_CODE)).status).toBe(421);
    expect(await emptyResponse(await disable(user.id, user.emailId, code))).toEqual(EMPTY_200);
    expect(await methodsOf(user.id)).toEqual([]);
    expect((await login(user.email, user.password)).status).toBe(200);
  });

  it("does not take an enable code to disable, nor a login's code", async () => {
    const user = await emailUser();
    const other = newAddress();
    await send({ userId: user.id, method: "email", email: other });
    expect((await disable(user.id, user.emailId, await codeMailedTo(other))).status).toBe(421);
    const { twoFactorId } = await pendingLogin(user);
    advanceClock(31);
    await loginSend(twoFactorId, user.emailId);
    expect((await disable(user.id, user.emailId, await codeMailedTo(user.address))).status).toBe(421);
    expect(await methodsOf(user.id)).toHaveLength(1);
  });
});

// ---- Limits, the operator's SMTP server, failures and logs ----

describe("the email limits", () => {
  it("space sends for one purpose to one address: the second is 429 with Retry-After, and the first code stands", async () => {
    const user = await createUser();
    const address = newAddress();
    expect((await send({ userId: user.id, method: "email", email: address })).status).toBe(200);
    const first = await codeMailedTo(address);
    const refused = await send({ userId: user.id, method: "email", email: address });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("Retry-After"))).toBeLessThanOrEqual(30);
    expect(await mailTo(address)).toHaveLength(1);
    expect((await enable(user.id, { method: "email", email: address, code: first })).status).toBe(200);
  });
});

describe("through the operator's SMTP server", () => {
  const smtp = inject("smtp");
  const useSmtp = (port: number) => call("PUT", "/api/integration", { body: { integrations: { email: smtpIntegration(smtp, port) } } });
  const received = (to: string) => receivedBy(smtp, to);

  it("enrols an address with the code the SMTP server received; each failure is a clear error that names no address", async () => {
    try {
      expect((await useSmtp(smtp.accepting)).status).toBe(200);
      const user = await createUser();
      const address = newAddress();
      expect((await send({ userId: user.id, method: "email", email: address })).status).toBe(200);
      const [delivered] = await received(address);
      const code = /\b(\d{6})\b/.exec(delivered!.text)![1]!;
      expect(await mailTo(address)).toEqual([]); // not through the binding
      expect((await enable(user.id, { method: "email", email: address, code })).status).toBe(200);

      for (const [port, status] of [
        [smtp.refusingLogin, 502],
        [smtp.down, 503],
        [smtp.closing, 502],
        [smtp.refusingRecipient, 400],
      ] as const) {
        expect((await useSmtp(port)).status).toBe(200);
        const other = newAddress();
        const failed = await send({ userId: user.id, method: "email", email: other });
        expect(failed.status, `port ${port}`).toBe(status);
        const body = await failed.text();
        expect(body).toContain("[EmailTwoFactorFailed]");
        expect(body).not.toContain(other.split("@")[0]);
        expect(body).not.toContain(smtp.password);
      }
      // An email that never went out gave its place in the limits back: asking again at once works.
      const address2 = newAddress();
      expect((await useSmtp(smtp.down)).status).toBe(200);
      expect((await send({ userId: user.id, method: "email", email: address2 })).status).toBe(503);
      expect((await useSmtp(smtp.accepting)).status).toBe(200);
      expect((await send({ userId: user.id, method: "email", email: address2 })).status).toBe(200);
      expect(await received(address2)).toHaveLength(1);
    } finally {
      expect((await call("PUT", "/api/integration", { body: { integrations: { email: { enabled: false } } } })).status).toBe(200);
    }
  });
});

describe("when the email does not go out", () => {
  it("answers a clear error, and the code sent before stands", async () => {
    const user = await emailUser();
    const { twoFactorId } = await pendingLogin(user);
    await loginSend(twoFactorId, user.emailId);
    const delivered = await codeMailedTo(user.address);
    advanceClock(31);
    vi.spyOn(env.EMAIL, "send").mockRejectedValue(new Error(`recipient ${user.address} rejected`));
    const refused = await loginSend(twoFactorId, user.emailId);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const body = await refused.text();
    expect(body).toContain("[EmailTwoFactorFailed]");
    expect(body).not.toContain(user.address);
    vi.restoreAllMocks();
    expect((await twoFactorLogin({ twoFactorId, code: delivered })).status).toBe(200);
  });
});

describe("logs and answers", () => {
  it("never hold the address or the code", async () => {
    const lines = captureConsole();
    const user = await emailUser();
    const { twoFactorId } = await pendingLogin(user);
    await loginSend(twoFactorId, user.emailId);
    const code = await codeMailedTo(user.address);
    expect((await twoFactorLogin({ twoFactorId, code })).status).toBe(200);
    const [local] = user.address.split("@");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toContain(local);
      expect(line).not.toMatch(new RegExp(`\\b${code}\\b`));
    }
  });
});
