// The 1.26+ Multi-Factor API beside the legacy API, attacked at the routes (FusionAuth's contract:
// https://fusionauth.io/docs/apis/two-factor): which era a body belongs to, the anonymous login send
// (it must never become an enable or disable send), codes bound to their user, purpose and lifetime,
// wrong codes and the lockout, races, events and logs, and Start. The official clients' flows are in
// test/e2e/multi-factor*.test.ts.
//
// Every test has its own users and phones (555-555-08xx) and its own clock hour (smsHourOfItsOwn):
// the SMS guard's counts are shared by the file. Texts to one phone for one purpose are 30 s apart.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EVENT_TYPES, type EventMessage, type WebhookEvent } from "../../src/domain/events";
import type { PublicMethod } from "../../src/domain/methods";
import {
  accessToken,
  advanceClock,
  call,
  captureConsole,
  codeFor,
  createUser,
  emptyResponse,
  jsonBody,
  login,
  newSecret,
  twoFactorLogin,
  wrongCode,
} from "../helpers";
import { expireChallenge, readAccount } from "../storage";
import { enableSmsMethod, lastCodeTo, messagesTo, smsHourOfItsOwn, type FakeTwilioServer } from "../twilio-fake";

const EMPTY_200 = { status: 200, contentType: null, body: "" };
const METHOD_ID = /^[A-Z0-9]{4}$/;
/** How many wrong codes in a row lock login (test/routes/two-factor-login.test.ts, "lockout across challenges"). */
const CODES_TO_LOCK = 5;

let fake: FakeTwilioServer;
let events: EventMessage[] = [];

beforeAll(async () => {
  // One webhook for every type, so events are emitted; the queue is a spy (beforeEach).
  const eventsEnabled = Object.fromEntries(EVENT_TYPES.map((type) => [type, true]));
  const response = await call("POST", "/api/webhook", { body: { webhook: { url: "https://receiver.example/mfa", eventsEnabled } } });
  expect(response.status).toBe(200);
});

beforeEach(async () => {
  events = [];
  vi.spyOn(env.EVENTS, "sendBatch").mockImplementation(async (messages) => {
    for (const message of messages) events.push(message.body as EventMessage);
    return { metadata: {} } as QueueSendBatchResponse;
  });
  fake = await smsHourOfItsOwn();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// ---- Helpers ----

let phones = 0;

/** A phone of this test's own: as typed, and as E.164 (how the fake Twilio and the methods show it). */
function newPhone() {
  phones += 1;
  const line = String(800 + phones).padStart(4, "0");
  return { typed: `555-555-${line}`, e164: `+1555555${line}` };
}
type Phone = ReturnType<typeof newPhone>;

/** `POST /api/two-factor/send` with the API key. */
const send = (body: Record<string, unknown>) => call("POST", "/api/two-factor/send", { body });

/** The anonymous login send, as `sendTwoFactorCodeForLoginUsingMethod` sends it (JSON, no Authorization). */
const loginSend = (twoFactorId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, body, headers });

/** The 1.26+ enable (`POST /api/user/two-factor/{userId}`) with the API key. */
const enable = (userId: string, body: Record<string, unknown>) => call("POST", `/api/user/two-factor/${userId}`, { body });

/** The send of a code to enable `phone` for user `userId`, and the enable of that phone with `code`. */
const sendToEnable = (userId: string, phone: Phone) => send({ userId, method: "sms", mobilePhone: phone.typed });
const enablePhone = (userId: string, phone: Phone, code: string) => enable(userId, { method: "sms", mobilePhone: phone.typed, code });

/** The 1.26+ disable of method `methodId` (JSON body form). */
const disable = (userId: string, methodId: string, code: string) => call("DELETE", `/api/user/two-factor/${userId}`, { body: { methodId, code } });

/** The user's methods as the User API shows them. */
async function methodsOf(userId: string): Promise<PublicMethod[]> {
  const { user } = await jsonBody(await call("GET", `/api/user/${userId}`));
  return (user.twoFactor?.methods ?? []) as PublicMethod[];
}

/** The code of the newest text to `phone`, and how many texts it has had. */
const codeTextedTo = (phone: Phone) => lastCodeTo(fake, phone.e164);
const textsTo = (phone: Phone) => messagesTo(fake, phone.e164).length;

/** A user whose only second factor is a phone method (no authenticator, so no TOTP can match). */
async function smsUser() {
  const user = await createUser();
  const phone = newPhone();
  const enabled = await enableSmsMethod(fake, user.id, phone.typed, phone.e164);
  expect(enabled.status, await enabled.clone().text()).toBe(200);
  const [method] = await methodsOf(user.id);
  return { ...user, phone, smsId: method!.id };
}

/** Adds an authenticator method (this step's code is used up); answers its secret and the enable's response. */
async function addAuthenticator(userId: string) {
  const secret = await newSecret();
  const response = await enable(userId, { method: "authenticator", code: await codeFor(secret), secret });
  return { secret, response };
}

/** A user with an authenticator method (enabled first: it has the recovery codes) and a phone method. */
async function twoMethodUser() {
  const user = await createUser();
  const { secret, response } = await addAuthenticator(user.id);
  expect(response.status).toBe(200);
  const { recoveryCodes } = await jsonBody<{ recoveryCodes: string[] }>(response);
  const phone = newPhone();
  expect((await enableSmsMethod(fake, user.id, phone.typed, phone.e164)).status).toBe(200);
  const methods = await methodsOf(user.id);
  const idOf = (kind: string) => methods.find((method) => method.method === kind)!.id;
  return { ...user, secret, recoveryCodes, phone, authenticatorId: idOf("authenticator"), smsId: idOf("sms") };
}

/** The twoFactorId of a password login that must answer 242. */
async function pendingLogin(user: { email: string; password: string }): Promise<string> {
  const response = await login(user.email, user.password);
  expect(response.status).toBe(242);
  return (await jsonBody<{ twoFactorId: string }>(response)).twoFactorId;
}

let distinct = 0;

/** A six-digit code other than each of `codes`, different on every call (a wrong code repeated within 10 s counts once). */
function otherCode(...codes: string[]): string {
  for (;;) {
    distinct += 1;
    const code = String((distinct * 104_729) % 1_000_000).padStart(6, "0");
    if (!codes.includes(code)) return code;
  }
}

/** The field error codes of a 400, by field. */
async function fieldErrors(response: Response): Promise<Record<string, string[]>> {
  expect(response.status).toBe(400);
  const body = await jsonBody<{ fieldErrors?: Record<string, Array<{ code: string }>> }>(response);
  return Object.fromEntries(Object.entries(body.fieldErrors ?? {}).map(([field, errors]) => [field, errors.map((error) => error.code)]));
}

/** A 400 with a FusionAuth Errors body (field or general errors). */
async function expectErrors(response: Response, label: string) {
  expect(response.status, label).toBe(400);
  const body = await jsonBody<{ fieldErrors?: object; generalErrors?: unknown[] }>(response);
  expect(body.fieldErrors ?? body.generalErrors, label).toBeDefined();
}

const eventsOf = (userId: string, type: string): WebhookEvent[] =>
  events.map((message) => message.event).filter((event) => event.userId === userId && event.type === type);

// ---- Era detection ----

describe("telling the eras apart by the body (reference §3.1)", () => {
  it("an enable with `delivery` and `method` together is 400 and changes nothing: the code still enables afterwards", async () => {
    const user = await createUser({ mobilePhone: "555-555-0899" });
    const secret = await newSecret();
    const code = await codeFor(secret);
    for (const delivery of ["None", "TextMessage"]) {
      const mixed = await enable(user.id, { method: "authenticator", delivery, code, secret });
      expect(await fieldErrors(mixed), delivery).toEqual({ delivery: ["[invalid]delivery"] });
    }
    const phone = newPhone();
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const mixedSms = await enable(user.id, { method: "sms", delivery: "TextMessage", mobilePhone: phone.typed, code: codeTextedTo(phone) });
    expect(await fieldErrors(mixedSms)).toEqual({ delivery: ["[invalid]delivery"] });
    expect(await methodsOf(user.id)).toEqual([]);
    expect((await readAccount(user.id)).guard.oneTimeCode).toBeDefined();
    // Neither code was used up by the refused requests.
    expect((await enable(user.id, { method: "authenticator", code, secret })).status).toBe(200);
    expect(await emptyResponse(await enablePhone(user.id, phone, codeTextedTo(phone)))).toEqual(EMPTY_200);
  });

  it("a legacy enable (with or without `delivery`, POST or PUT) keeps its exact answer: an empty 200, no recovery codes", async () => {
    for (const [verb, body] of [
      ["POST", { delivery: "None" }],
      ["PUT", { delivery: "None" }],
      ["POST", {}],
    ] as const) {
      const user = await createUser();
      const secret = await newSecret();
      const response = await call(verb, `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, ...body } });
      expect(await emptyResponse(response), `${verb} ${JSON.stringify(body)}`).toEqual(EMPTY_200);
      const [method] = await methodsOf(user.id);
      expect(method).toMatchObject({ id: expect.stringMatching(METHOD_ID), method: "authenticator" });
      // A second legacy enable is refused as before 1.26.
      const again = await call(verb, `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret, 1), secret, ...body } });
      expect(again.status).toBe(400);
      expect((await jsonBody(again)).generalErrors[0].code).toBe("[TwoFactorEnabled]");
    }
  });

  it("a legacy-looking enable that carries `method` is the 1.26+ enable: it answers the recovery codes", async () => {
    const user = await createUser();
    const secret = await newSecret();
    const response = await enable(user.id, { method: "authenticator", code: await codeFor(secret), secret });
    expect(response.status).toBe(200);
    expect((await jsonBody<{ recoveryCodes: string[] }>(response)).recoveryCodes).toHaveLength(10);
  });

  it("a send with `secret` and `method` or `methodId` is 400 and texts nothing; the legacy `{mobilePhone, secret}` still texts the secret's code", async () => {
    const user = await smsUser();
    const before = textsTo(user.phone);
    const secret = await newSecret();
    const other = newPhone();
    for (const body of [
      { userId: user.id, methodId: user.smsId, secret },
      { userId: user.id, method: "sms", mobilePhone: other.typed, secret },
      { method: "sms", mobilePhone: other.typed, secret },
      { methodId: user.smsId, secret },
    ]) {
      await expectErrors(await send(body), JSON.stringify(body));
    }
    expect(textsTo(user.phone)).toBe(before);
    expect(textsTo(other)).toBe(0);
    expect((await readAccount(user.id)).guard.oneTimeCode).toBeUndefined();

    expect(await emptyResponse(await send({ mobilePhone: other.typed, secret }))).toEqual(EMPTY_200);
    expect(codeTextedTo(other)).toBe(await codeFor(secret));
  });

  it("a send to enable an authenticator, or an sms or email send without its address, is 400 and texts nothing", async () => {
    const user = await createUser({ mobilePhone: "555-555-0898" });
    expect(await fieldErrors(await send({ userId: user.id, method: "authenticator" }))).toEqual({ method: ["[invalid]method"] });
    expect(await fieldErrors(await send({ userId: user.id, method: "email", mobilePhone: "555-555-0898" }))).toEqual({ email: ["[blank]email"] });
    expect(await fieldErrors(await send({ userId: user.id, method: "sms" }))).toEqual({ mobilePhone: ["[blank]mobilePhone"] });
    expect(await fieldErrors(await send({ method: "sms", mobilePhone: "555-555-0898" }))).toEqual({ userId: ["[blank]userId"] });
    expect(fake.messages).toEqual([]);
  });

  it("PUT `{methodId, name}` names a method; PUT with a `code` is the legacy enable, whatever else it carries", async () => {
    const user = await smsUser();
    const renamed = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { methodId: user.smsId, name: "Work phone" } });
    expect(await emptyResponse(renamed)).toEqual(EMPTY_200);
    expect((await methodsOf(user.id))[0]).toMatchObject({ id: user.smsId, method: "sms", name: "Work phone" });

    // `code` makes it an enable: without a secret the legacy enable's own error, and the name stays.
    const withCode = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { methodId: user.smsId, name: "Stolen", code: "123456" } });
    expect(await fieldErrors(withCode)).toEqual({ secret: ["[blank]secret"] });
    expect((await methodsOf(user.id))[0]!.name).toBe("Work phone");

    expect(await fieldErrors(await call("PUT", `/api/user/two-factor/${user.id}`, { body: { methodId: "ZZZZ", name: "x" } }))).toEqual({
      methodId: ["[invalid]methodId"],
    });
    expect((await call("PUT", `/api/user/two-factor/${user.id}`, { body: { methodId: user.smsId } })).status).toBe(400);

    // A legacy PUT enable of another user is untouched by the rename branch.
    const legacy = await createUser();
    const secret = await newSecret();
    const enabled = await call("PUT", `/api/user/two-factor/${legacy.id}`, { body: { code: await codeFor(secret), secret, delivery: "None" } });
    expect(await emptyResponse(enabled)).toEqual(EMPTY_200);
  });

  it("the legacy send `{userId}` still texts a legacy TextMessage user the TOTP of the secret", async () => {
    const phone = newPhone();
    const user = await createUser({ mobilePhone: phone.typed });
    const secret = await newSecret();
    const patched = await call("PATCH", `/api/user/${user.id}`, {
      body: { user: { twoFactorEnabled: true, twoFactorSecret: secret, twoFactorDelivery: "TextMessage" } },
    });
    expect(patched.status).toBe(200);
    expect(await emptyResponse(await send({ userId: user.id }))).toEqual(EMPTY_200);
    expect(codeTextedTo(phone)).toBe(await codeFor(secret));
  });
});

// ---- Trap T15 ----

describe("trap T15: the anonymous login send accepts only `{methodId}` on a live twoFactorId", () => {
  it("refuses every enable, disable and legacy send body (400) and texts no one, the user included; then `{methodId}` texts the user", async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    const stranger = newPhone();
    const textsBefore = textsTo(user.phone);
    const bodies: Array<Record<string, unknown>> = [
      { userId: user.id, method: "sms", mobilePhone: stranger.typed },
      { userId: user.id, methodId: user.smsId },
      { userId: user.id },
      { method: "sms", mobilePhone: stranger.typed },
      { methodId: user.smsId, method: "sms" },
      { methodId: user.smsId, mobilePhone: stranger.typed },
      { mobilePhone: stranger.typed },
      { mobilePhone: stranger.typed, secret: await newSecret() },
      { secret: await newSecret() },
      { methodId: user.smsId, email: "x@example.com" },
    ];
    for (const body of bodies) await expectErrors(await loginSend(twoFactorId, body), JSON.stringify(body));
    // An API key does not turn the path form into the enable or disable send either.
    for (const body of bodies.slice(0, 2)) {
      const keyed = await call("POST", `/api/two-factor/send/${twoFactorId}`, { body });
      await expectErrors(keyed, `with an API key: ${JSON.stringify(body)}`);
    }
    expect(textsTo(stranger)).toBe(0);
    expect(textsTo(user.phone)).toBe(textsBefore);
    expect((await readAccount(user.id)).guard.oneTimeCode).toBeUndefined();

    expect(await emptyResponse(await loginSend(twoFactorId, { methodId: user.smsId }))).toEqual(EMPTY_200);
    expect(textsTo(user.phone)).toBe(textsBefore + 1);
    expect((await twoFactorLogin({ twoFactorId, code: codeTextedTo(user.phone) })).status).toBe(200);
  });

  it("refuses a JSON body sent as text/plain as strictly as JSON: 400, and nobody gets a text", async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    const stranger = newPhone();
    const body = JSON.stringify({ userId: user.id, method: "sms", mobilePhone: stranger.typed });
    const textedBefore = textsTo(user.phone);
    const refused = await call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, body, headers: { "Content-Type": "text/plain" } });
    expect(refused.status).toBe(400);
    expect(textsTo(stranger)).toBe(0);
    expect(textsTo(user.phone)).toBe(textedBefore);
  });

  it("a forged, finished or expired twoFactorId with `{methodId}` is 400 [invalid]twoFactorId; without a body the legacy 404", async () => {
    const user = await smsUser();
    const forged = "A".repeat(43);
    const finished = await pendingLogin(user);
    expect((await loginSend(finished, { methodId: user.smsId })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: finished, code: codeTextedTo(user.phone) })).status).toBe(200);
    const expired = await pendingLogin(user);
    await expireChallenge(expired);
    const texts = textsTo(user.phone);

    for (const [label, twoFactorId] of [
      ["forged", forged],
      ["finished", finished],
      ["expired", expired],
    ] as const) {
      expect(await fieldErrors(await loginSend(twoFactorId, { methodId: user.smsId })), label).toEqual({ twoFactorId: ["[invalid]twoFactorId"] });
      // The enable form on a dead id: refused before anything is looked up.
      await expectErrors(await loginSend(twoFactorId, { userId: user.id, method: "sms", mobilePhone: user.phone.typed }), label);
      const legacy = await call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, headers: { "Content-Type": "text/plain" } });
      expect(legacy.status, label).toBe(404);
    }
    expect(textsTo(user.phone)).toBe(texts);
  });

  it("an unknown `methodId` is 400 [invalid]methodId, another user's too; an authenticator's is [cannotSend]", async () => {
    const user = await twoMethodUser();
    const other = await smsUser();
    const twoFactorId = await pendingLogin(user);
    expect(await fieldErrors(await loginSend(twoFactorId, { methodId: "ZZZZ" }))).toEqual({ methodId: ["[invalid]methodId"] });
    if (other.smsId !== user.smsId && other.smsId !== user.authenticatorId) {
      expect(await fieldErrors(await loginSend(twoFactorId, { methodId: other.smsId }))).toEqual({ methodId: ["[invalid]methodId"] });
    }
    expect(await fieldErrors(await loginSend(twoFactorId, { methodId: user.authenticatorId }))).toEqual({ methodId: ["[cannotSend]methodId"] });
    expect(textsTo(other.phone)).toBe(1); // its own enable code only
  });
});

// ---- Codes ----

describe("codes sent to enable a phone", () => {
  it("are single use", async () => {
    const user = await createUser();
    const phone = newPhone();
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const code = codeTextedTo(phone);
    const first = await enablePhone(user.id, phone, code);
    expect(first.status).toBe(200);
    expect((await jsonBody(first)).recoveryCodes).toHaveLength(10);
    expect(await emptyResponse(await enablePhone(user.id, phone, code))).toEqual({ status: 421, contentType: null, body: "" });
    expect(await methodsOf(user.id)).toHaveLength(1);
  });

  it("are good for 60 s", async () => {
    const user = await createUser();
    const [late, inTime] = [newPhone(), newPhone()];
    expect((await sendToEnable(user.id, late)).status).toBe(200);
    advanceClock(61);
    expect((await enablePhone(user.id, late, codeTextedTo(late))).status).toBe(421);

    expect((await sendToEnable(user.id, inTime)).status).toBe(200);
    advanceClock(59);
    expect((await enablePhone(user.id, inTime, codeTextedTo(inTime))).status).toBe(200);
    expect((await methodsOf(user.id)).map((method) => method.mobilePhone)).toEqual([inTime.e164]);
  });

  it("are bound to the user: user B cannot enable A's phone with A's code, and A still can", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const phone = newPhone();
    expect((await sendToEnable(a.id, phone)).status).toBe(200);
    const code = codeTextedTo(phone);
    expect((await enablePhone(b.id, phone, code)).status).toBe(421);
    expect(await methodsOf(b.id)).toEqual([]);
    expect((await enablePhone(a.id, phone, code)).status).toBe(200);
  });

  it("are bound to the phone they were sent to: another number is 400 [mismatch]mobilePhone", async () => {
    const user = await createUser();
    const [phone, other] = [newPhone(), newPhone()];
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const code = codeTextedTo(phone);
    expect(await fieldErrors(await enablePhone(user.id, other, code))).toEqual({ mobilePhone: ["[mismatch]mobilePhone"] });
    expect(await methodsOf(user.id)).toEqual([]);
  });

  it("match the number however it is spelt: sent to one spelling, enabled with another", async () => {
    const user = await createUser();
    const phone = newPhone();
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const spelt = `+1 (${phone.e164.slice(2, 5)}) ${phone.e164.slice(5, 8)}-${phone.e164.slice(8)}`;
    expect((await enable(user.id, { method: "sms", mobilePhone: spelt, code: codeTextedTo(phone) })).status).toBe(200);
    expect((await methodsOf(user.id))[0]!.mobilePhone).toBe(phone.e164);
  });

  it("go through the SMS fraud guard: a premium-rate number is refused, texted nothing, and no code is kept", async () => {
    const user = await createUser();
    const refused = await send({ userId: user.id, method: "sms", mobilePhone: "+1 900 555 0123" });
    expect(refused.status).toBe(400);
    expect((await jsonBody(refused)).generalErrors[0].code).toBe("[PhoneNumberTypeNotAllowed]");
    expect(fake.messages).toEqual([]);
    expect((await readAccount(user.id)).guard.oneTimeCode).toBeUndefined();
  });

  it("are replaced by a new send: the earlier code is refused, the newer enables", async () => {
    const user = await createUser();
    const phone = newPhone();
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const earlier = codeTextedTo(phone);
    advanceClock(31);
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const newer = codeTextedTo(phone);
    expect(newer).not.toBe(earlier);
    expect((await enablePhone(user.id, phone, earlier)).status).toBe(421);
    expect((await enablePhone(user.id, phone, newer)).status).toBe(200);
  });
});

describe("trap T9: each code works only for its purpose", () => {
  it("an enable code cannot disable or log in; a disable code cannot enable or log in", async () => {
    const user = await smsUser();
    const next = newPhone();
    expect((await sendToEnable(user.id, next)).status).toBe(200);
    const enableCode = codeTextedTo(next);
    expect((await disable(user.id, user.smsId, enableCode)).status).toBe(421);
    const twoFactorId = await pendingLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: enableCode })).status).toBe(421);
    expect(await methodsOf(user.id)).toHaveLength(1);

    advanceClock(1);
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    const disableCode = codeTextedTo(user.phone);
    expect((await enablePhone(user.id, user.phone, disableCode)).status).toBe(421);
    expect((await enablePhone(user.id, next, disableCode)).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId, code: disableCode })).status).toBe(421);
    expect(await methodsOf(user.id)).toHaveLength(1);
    // The disable code was not used up by those attempts.
    expect(await emptyResponse(await disable(user.id, user.smsId, disableCode))).toEqual(EMPTY_200);
    expect(await methodsOf(user.id)).toEqual([]);
  });

  it("a code sent to a login cannot enable or disable, and still completes its login", async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    expect((await loginSend(twoFactorId, { methodId: user.smsId })).status).toBe(200);
    const loginCode = codeTextedTo(user.phone);
    expect((await enablePhone(user.id, user.phone, loginCode)).status).toBe(421);
    expect((await disable(user.id, user.smsId, loginCode)).status).toBe(421);
    expect(await methodsOf(user.id)).toHaveLength(1);
    const done = await twoFactorLogin({ twoFactorId, code: loginCode });
    expect(done.status).toBe(200);
    // The method that completed the login is the one marked `lastUsed`.
    expect((await jsonBody(done)).user.twoFactor.methods).toEqual([{ id: user.smsId, method: "sms", mobilePhone: user.phone.e164, lastUsed: true }]);
  });

  it("a Start code completes its login only: it cannot disable", async () => {
    const user = await smsUser();
    const started = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id } }));
    expect((await disable(user.id, user.smsId, started.code)).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: started.code })).status).toBe(200);
    expect(await methodsOf(user.id)).toHaveLength(1);
  });

  it("a disable code is for the method it was sent for: not another method, not another user", async () => {
    const user = await twoMethodUser();
    const other = await smsUser();
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    const code = codeTextedTo(user.phone);
    expect((await disable(user.id, user.authenticatorId, code)).status).toBe(421);
    expect((await disable(other.id, other.smsId, code)).status).toBe(421);
    expect(await methodsOf(user.id)).toHaveLength(2);
    expect(await methodsOf(other.id)).toHaveLength(1);
    expect((await disable(user.id, user.smsId, code)).status).toBe(200);
    expect((await methodsOf(user.id)).map((method) => method.method)).toEqual(["authenticator"]);
  });

  it("the 1.26–1.29 query form (`?userId=&methodId=&code=`) removes only the method named", async () => {
    const user = await twoMethodUser();
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    const query = `userId=${user.id}&methodId=${user.smsId}&code=${codeTextedTo(user.phone)}`;
    expect(await emptyResponse(await call("DELETE", `/api/user/two-factor?${query}`))).toEqual(EMPTY_200);
    expect((await methodsOf(user.id)).map((method) => method.id)).toEqual([user.authenticatorId]);
  });

  it("an authenticator's code disables that authenticator only, not the phone method", async () => {
    const user = await twoMethodUser();
    expect((await disable(user.id, user.smsId, await codeFor(user.secret, 1))).status).toBe(421);
    expect(await methodsOf(user.id)).toHaveLength(2);
  });
});

describe("a refused send leaves the code texted before it", () => {
  it("keeps the code the login was texted before when a login send is refused by the 30 s spacing (429)", async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    expect((await loginSend(twoFactorId, { methodId: user.smsId })).status).toBe(200);
    const texted = codeTextedTo(user.phone);
    expect((await loginSend(twoFactorId, { methodId: user.smsId })).status).toBe(429);
    expect(textsTo(user.phone)).toBe(2); // the enable code and the login's one code
    expect((await twoFactorLogin({ twoFactorId, code: texted })).status).toBe(200);
  });

  it("keeps the enable code texted before when an enable send is refused by the 30 s spacing (429)", async () => {
    const user = await createUser();
    const phone = newPhone();
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const texted = codeTextedTo(phone);
    expect((await sendToEnable(user.id, phone)).status).toBe(429);
    expect(textsTo(phone)).toBe(1);
    expect((await enablePhone(user.id, phone, texted)).status).toBe(200);
  });

  it("keeps the disable code texted before when a disable send is refused by the 30 s spacing (429)", async () => {
    const user = await smsUser();
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    const texted = codeTextedTo(user.phone);
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(429);
    expect((await disable(user.id, user.smsId, texted)).status).toBe(200);
  });
});

describe("codes sent to a login", () => {
  it("a second send replaces the first: the earlier code is refused (421), the newer completes the login", async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    expect((await loginSend(twoFactorId, { methodId: user.smsId })).status).toBe(200);
    const earlier = codeTextedTo(user.phone);
    advanceClock(31);
    expect(await emptyResponse(await loginSend(twoFactorId, { methodId: user.smsId }))).toEqual(EMPTY_200);
    const newer = codeTextedTo(user.phone);
    expect(newer).not.toBe(earlier);
    expect((await twoFactorLogin({ twoFactorId, code: earlier })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId, code: newer })).status).toBe(200);
  });

  it("are bound to their login: another pending login of the same user refuses it", async () => {
    const user = await smsUser();
    const [first, second] = [await pendingLogin(user), await pendingLogin(user)];
    expect((await loginSend(first, { methodId: user.smsId })).status).toBe(200);
    const code = codeTextedTo(user.phone);
    expect((await twoFactorLogin({ twoFactorId: second, code })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: first, code })).status).toBe(200);
  });

  it("the legacy resend (no body) to a user with only a phone method texts a code for this login", async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    const resent = await call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, headers: { "Content-Type": "text/plain" } });
    expect(await emptyResponse(resent)).toEqual(EMPTY_200);
    expect((await twoFactorLogin({ twoFactorId, code: codeTextedTo(user.phone) })).status).toBe(200);
  });

  it("answers the legacy resend (no body) for an authenticator user without a mobile phone with 400 [blank]user.mobilePhone, as before methods", async () => {
    const user = await createUser();
    expect((await addAuthenticator(user.id)).response.status).toBe(200);
    const twoFactorId = await pendingLogin(user);
    const resent = await call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, headers: { "Content-Type": "text/plain" } });
    expect(await fieldErrors(resent)).toEqual({ "user.mobilePhone": ["[blank]user.mobilePhone"] });
    expect(fake.messages).toEqual([]);
  });
});

// ---- Lockout ----

describe("wrong codes and the lockout", () => {
  it(`${CODES_TO_LOCK} wrong codes on a 1.26+ disable lock login (409)`, async () => {
    const user = await smsUser();
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    const right = codeTextedTo(user.phone);
    for (let i = 0; i < CODES_TO_LOCK; i++) expect((await disable(user.id, user.smsId, otherCode(right))).status).toBe(421);
    expect((await login(user.email, user.password)).status).toBe(409);
    expect(await methodsOf(user.id)).toHaveLength(1);
  });

  it(`${CODES_TO_LOCK} wrong codes on a login whose code was sent by methodId lock login (409)`, async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    expect((await loginSend(twoFactorId, { methodId: user.smsId })).status).toBe(200);
    const right = codeTextedTo(user.phone);
    for (let i = 0; i < CODES_TO_LOCK; i++) expect((await twoFactorLogin({ twoFactorId, code: otherCode(right) })).status).toBe(421);
    expect((await login(user.email, user.password)).status).toBe(409);
  });

  it("wrong codes on a disable and on a login add up", async () => {
    const user = await twoMethodUser();
    const twoFactorId = await pendingLogin(user);
    for (let i = 0; i < 3; i++) expect((await disable(user.id, user.authenticatorId, await wrongCode(user.secret))).status).toBe(421);
    for (let i = 0; i < CODES_TO_LOCK - 3; i++) expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status).toBe(421);
    expect((await login(user.email, user.password)).status).toBe(409);
  });

  it("wrong enable codes (phone or authenticator) do not count: login is not locked and the right code still enables", async () => {
    const user = await smsUser();
    const phone = newPhone();
    expect((await sendToEnable(user.id, phone)).status).toBe(200);
    const right = codeTextedTo(phone);
    for (let i = 0; i < CODES_TO_LOCK + 2; i++) {
      expect((await enablePhone(user.id, phone, otherCode(right))).status).toBe(421);
    }
    const secret = await newSecret();
    for (let i = 0; i < CODES_TO_LOCK + 2; i++) {
      expect((await enable(user.id, { method: "authenticator", secret, code: await wrongCode(secret) })).status).toBe(421);
    }
    expect((await login(user.email, user.password)).status).toBe(242);
    expect((await readAccount(user.id)).guard.consecutiveCodeFailures).toBe(0);
    expect((await enablePhone(user.id, phone, right)).status).toBe(200);
  });
});

// ---- Races ----

describe("races", () => {
  it("two concurrent enables with the same texted code: exactly one succeeds, one method", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const user = await createUser();
      const phone = newPhone();
      expect((await sendToEnable(user.id, phone)).status).toBe(200);
      const body = { method: "sms", mobilePhone: phone.typed, code: codeTextedTo(phone) };
      const statuses = (await Promise.all([enable(user.id, body), enable(user.id, body)])).map((response) => response.status);
      expect(statuses.sort()).toEqual([200, 421]);
      expect(await methodsOf(user.id)).toHaveLength(1);
    }
  });

  it("concurrent disables of a user's last two methods by id leave a consistent user (login 200 with none, 242 with one)", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const user = await twoMethodUser();
      expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
      const [byTotp, bySms] = await Promise.all([
        disable(user.id, user.authenticatorId, await codeFor(user.secret, 1)),
        disable(user.id, user.smsId, codeTextedTo(user.phone)),
      ]);
      const removed = [byTotp, bySms].filter((response) => response.status === 200).length;
      const left = await methodsOf(user.id);
      expect(left).toHaveLength(2 - removed);
      const { user: shown } = await jsonBody(await call("GET", `/api/user/${user.id}`));
      expect(shown.twoFactorEnabled).toBe(left.length > 0);
      const loggedIn = await login(user.email, user.password);
      if (left.length === 0) {
        expect(loggedIn.status).toBe(200);
      } else {
        expect(loggedIn.status).toBe(242);
        expect((await jsonBody(loggedIn)).methods.map((method: PublicMethod) => method.id)).toEqual(left.map((method) => method.id));
      }
    }
  });

  it("a code sent to a login, submitted twice at once, completes it once", async () => {
    const user = await smsUser();
    const twoFactorId = await pendingLogin(user);
    expect((await loginSend(twoFactorId, { methodId: user.smsId })).status).toBe(200);
    const code = codeTextedTo(user.phone);
    const statuses = (await Promise.all([twoFactorLogin({ twoFactorId, code }), twoFactorLogin({ twoFactorId, code })])).map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect((await twoFactorLogin({ twoFactorId, code })).status).toBe(404);
  });

  it("concurrent login sends by methodId: the one text that goes out carries a code the login accepts", async () => {
    const failures: string[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const user = await smsUser();
      const twoFactorId = await pendingLogin(user);
      const before = textsTo(user.phone);
      const statuses = (await Promise.all([loginSend(twoFactorId, { methodId: user.smsId }), loginSend(twoFactorId, { methodId: user.smsId })])).map(
        (response) => response.status,
      );
      expect(statuses.sort()).toEqual([200, 429]);
      expect(textsTo(user.phone)).toBe(before + 1);
      const completed = await twoFactorLogin({ twoFactorId, code: codeTextedTo(user.phone) });
      if (completed.status !== 200) failures.push(`trial ${trial}: ${completed.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("concurrent sends to enable one phone: the one text that goes out carries a code that enables it", async () => {
    const failures: string[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const user = await createUser();
      const phone = newPhone();
      const body = { userId: user.id, method: "sms", mobilePhone: phone.typed };
      const statuses = (await Promise.all([send(body), send(body)])).map((response) => response.status);
      expect(statuses.sort()).toEqual([200, 429]);
      expect(textsTo(phone)).toBe(1);
      const enabled = await enablePhone(user.id, phone, codeTextedTo(phone));
      if (enabled.status !== 200) failures.push(`trial ${trial}: ${enabled.status}`);
    }
    expect(failures).toEqual([]);
  });
});

// ---- Events and logs ----

describe("events and logs", () => {
  it("user.two-factor.method.add and .remove carry the method's type", async () => {
    const user = await twoMethodUser();
    expect(eventsOf(user.id, "user.two-factor.method.add").map((event) => event.info)).toEqual([
      { method: "authenticator", source: "enable" },
      { method: "sms", source: "enable" },
    ]);
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    expect((await disable(user.id, user.smsId, codeTextedTo(user.phone))).status).toBe(200);
    expect((await disable(user.id, user.authenticatorId, await codeFor(user.secret, 1))).status).toBe(200);
    expect(eventsOf(user.id, "user.two-factor.method.remove").map((event) => event.info)).toEqual([
      { method: "sms", source: "disable" },
      { method: "authenticator", source: "disable" },
    ]);
  });

  it("a recovery code removes every method: one .remove per method, with its type", async () => {
    const user = await twoMethodUser();
    expect((await disable(user.id, user.smsId, user.recoveryCodes[0]!)).status).toBe(200);
    expect(await methodsOf(user.id)).toEqual([]);
    expect(
      eventsOf(user.id, "user.two-factor.method.remove")
        .map((event) => (event.info as { method: string }).method)
        .sort(),
    ).toEqual(["authenticator", "sms"]);
  });

  it("no log line and no event carries a code, a phone number in full, a secret or a recovery code", async () => {
    const lines = captureConsole();
    const user = await twoMethodUser();
    const secrets: string[] = [user.secret, ...user.recoveryCodes, ...user.recoveryCodes.map((code) => code.replace("-", ""))];
    // A login completed with a sent code, a wrong one first; a Start; a disable code; a refused send.
    const twoFactorId = await pendingLogin(user);
    expect((await loginSend(twoFactorId, { methodId: user.smsId })).status).toBe(200);
    const loginCode = codeTextedTo(user.phone);
    const wrong = otherCode(loginCode, await codeFor(user.secret, 1));
    expect((await twoFactorLogin({ twoFactorId, code: wrong })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId, code: loginCode })).status).toBe(200);
    const started = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id, code: "my-own-code-7731" } }));
    expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: "my-own-code-7731" })).status).toBe(200);
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(429); // refused: logged
    advanceClock(31);
    expect((await send({ userId: user.id, methodId: user.smsId })).status).toBe(200);
    const disableCode = codeTextedTo(user.phone);
    expect((await disable(user.id, user.smsId, disableCode)).status).toBe(200);
    const texted = fake.messages.map((message) => message.body.match(/(\d{6})$/)![1]!);
    secrets.push(...texted, wrong, "my-own-code-7731", started.code, twoFactorId, started.twoFactorId);

    const phoneForms = [user.phone.e164, user.phone.typed, user.phone.e164.slice(2), user.phone.e164.slice(1)];
    const logged = lines.join("\n");
    const sentEvents = JSON.stringify(events);
    // Events that carry the user show its methods as the User API does (phone numbers included, as
    // `user.mobilePhone` always was); no other event names a number.
    const withoutUser = JSON.stringify(events.filter((message) => !("user" in message.event)));
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(logged, secret).not.toContain(secret);
      expect(sentEvents, secret).not.toContain(secret);
    }
    for (const phone of phoneForms) {
      expect(logged, phone).not.toContain(phone);
      expect(withoutUser, phone).not.toContain(phone);
    }
  });
});

// ---- Start ----

describe("POST /api/two-factor/start", () => {
  it("an unknown userId or loginId is 404; neither is 400; no API key is 401", async () => {
    expect((await call("POST", "/api/two-factor/start", { body: { userId: crypto.randomUUID() } })).status).toBe(404);
    expect((await call("POST", "/api/two-factor/start", { body: { loginId: "nobody-mfa@example.com" } })).status).toBe(404);
    expect(await fieldErrors(await call("POST", "/api/two-factor/start", { body: {} }))).toEqual({ loginId: ["[blank]loginId"] });
    expect(await fieldErrors(await call("POST", "/api/two-factor/start", { body: { state: { a: 1 } } }))).toEqual({ loginId: ["[blank]loginId"] });
    expect((await call("POST", "/api/two-factor/start", { apiKey: null, body: { userId: crypto.randomUUID() } })).status).toBe(401);
  });

  it("by loginId: the caller's code completes the login once and the completion echoes `state`", async () => {
    const user = await smsUser();
    const state = { redirect: "/checkout", attempt: 2, nested: { ok: true } };
    const started = await call("POST", "/api/two-factor/start", { body: { loginId: user.email, code: "caller-code-1", state } });
    expect(started.status).toBe(200);
    const body = await jsonBody(started);
    expect(body).toEqual({
      code: "caller-code-1",
      twoFactorId: expect.any(String),
      methods: [{ id: user.smsId, method: "sms", mobilePhone: user.phone.e164 }],
    });
    const done = await twoFactorLogin({ twoFactorId: body.twoFactorId, code: "caller-code-1" });
    expect(done.status).toBe(200);
    const completed = await jsonBody(done);
    expect(completed.state).toEqual(state);
    expect(completed.user.id).toBe(user.id);
    expect((await twoFactorLogin({ twoFactorId: body.twoFactorId, code: "caller-code-1" })).status).toBe(404);
    // Nothing was texted for it.
    expect(textsTo(user.phone)).toBe(1);
  });

  it("a code made for the caller (6 digits) completes the login once; a user without methods gets no `methods`", async () => {
    const user = await createUser();
    const started = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id } }));
    expect(Object.keys(started).sort()).toEqual(["code", "twoFactorId"]);
    expect(started.code).toMatch(/^\d{6}$/);
    expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: started.code })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: started.code })).status).toBe(404);
  });

  it("a started login's code is for that login only", async () => {
    const user = await smsUser();
    const first = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id } }));
    const second = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id } }));
    const other = first.code === second.code ? otherCode(first.code) : first.code;
    expect((await twoFactorLogin({ twoFactorId: second.twoFactorId, code: other })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: second.twoFactorId, code: second.code })).status).toBe(200);
  });

  it(`a started login's wrong codes count: ${CODES_TO_LOCK} lock login (409), and the right code is refused while locked`, async () => {
    const user = await smsUser();
    const started = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id, code: "step-up-42" } }));
    const spare = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id, code: "step-up-43" } }));
    for (let i = 0; i < CODES_TO_LOCK; i++) expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: otherCode() })).status).toBe(421);
    expect((await login(user.email, user.password)).status).toBe(409);
    expect((await twoFactorLogin({ twoFactorId: spare.twoFactorId, code: "step-up-43" })).status).toBe(409);
  });

  it("a login send by methodId on a started login texts the phone, and that code completes it", async () => {
    const user = await smsUser();
    const started = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id } }));
    expect((await loginSend(started.twoFactorId, { methodId: user.smsId })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: codeTextedTo(user.phone) })).status).toBe(200);
  });
});

// ---- Self-service (JWT) ----

describe("the JWT forms act on the token's user only", () => {
  it("a token's send `{userId: other, methodId}` is about the token's user: the other user's phone gets nothing", async () => {
    const attacker = await createUser();
    const token = await accessToken(attacker);
    const victim = await smsUser();
    const texts = textsTo(victim.phone);
    const bearer = { Authorization: `Bearer ${token}` };
    const disableSend = await call("POST", "/api/two-factor/send", { apiKey: null, headers: bearer, body: { userId: victim.id, methodId: victim.smsId } });
    expect(disableSend.status).toBe(400);
    const removed = await call("DELETE", `/api/user/two-factor/${victim.id}`, {
      apiKey: null,
      headers: bearer,
      body: { methodId: victim.smsId, code: "000000" },
    });
    expect(removed.status).toBe(400);
    expect(textsTo(victim.phone)).toBe(texts);
    expect(await methodsOf(victim.id)).toHaveLength(1);
  });
});
