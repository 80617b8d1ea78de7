// SMS codes through Twilio: the Twilio tutorial end to end, every Send
// variant (enable helper, {userId}, JWT, during login), the Messaging Service sender, the "code sent
// must be usable" rule and Twilio not configured. The Worker's fetch goes to the fake Twilio.
// Every test has its own users and its own phone numbers (555-555-02xx): the per-phone throttle is
// shared within the file. Clocks are frozen so codes are computed for a known time step.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from "../fake-twilio/handler";
import {
  accessToken,
  advanceClock,
  call,
  codeFor,
  createTwoFactorUser,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  freezeClock,
  jsonBody,
  login,
  newSecret,
  startTwoFactorLogin,
  twoFactorLogin,
} from "../helpers";
import {
  configureTwilio,
  FAKE_TWILIO_URL,
  FROM_NUMBER,
  installFakeTwilio,
  lastCodeTo,
  MESSAGING_SERVICE_SID,
  messagesTo,
  sendDuringLogin,
  sendToPhone,
  type FakeTwilioServer,
} from "../twilio-fake";
import { kvKeys } from "../storage";

const EMPTY_200 = { status: 200, contentType: null, body: "" };
const SMS_BODY = /^Two Factor Code: (\d{6})$/;

let fake: FakeTwilioServer;

beforeEach(async () => {
  fake = installFakeTwilio();
  expect((await configureTwilio()).status).toBe(200);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const sendForUser = (userId: string) => call("POST", "/api/two-factor/send", { body: { userId } });

describe("the Twilio tutorial", () => {
  it("texts an enrolment code, enables TextMessage 2FA with it, texts the login code, completes the login and resends during a login", async () => {
    freezeClock();
    const user = await createUser({ mobilePhone: "555-555-0201" });
    const secret = await newSecret();

    expect(await emptyResponse(await sendToPhone("555-555-0201", secret))).toEqual(EMPTY_200);
    const enrolment = messagesTo(fake, "+15555550201");
    expect(enrolment).toHaveLength(1);
    expect(enrolment[0]).toMatchObject({ to: "+15555550201", from: FROM_NUMBER, validityPeriod: 300 });
    expect(enrolment[0]!.messagingServiceSid).toBeUndefined();
    expect(enrolment[0]!.body).toMatch(SMS_BODY);
    const enrolmentCode = SMS_BODY.exec(enrolment[0]!.body)![1]!;
    // The enable helper texts the TOTP of the secret being enrolled.
    expect(enrolmentCode).toBe(await codeFor(secret));

    const enabled = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { code: enrolmentCode, secret, delivery: "TextMessage" } });
    expect(await emptyResponse(enabled)).toEqual(EMPTY_200);

    advanceClock(31); // per-phone spacing: the login SMS goes to the same phone
    const started = await login(user.email, user.password);
    expect(started.status).toBe(242);
    const { twoFactorId } = await jsonBody<{ twoFactorId: string }>(started);
    expect(messagesTo(fake, "+15555550201")).toHaveLength(2);
    const done = await twoFactorLogin({ twoFactorId, code: lastCodeTo(fake, "+15555550201") });
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await jsonBody(done)).toHaveProperty("token");

    // A second login: its SMS, then a resend exactly as the official client sends it.
    advanceClock(31);
    const second = await startTwoFactorLogin(user);
    expect(messagesTo(fake, "+15555550201")).toHaveLength(3);
    advanceClock(31);
    expect(await emptyResponse(await sendDuringLogin(second))).toEqual(EMPTY_200);
    expect(messagesTo(fake, "+15555550201")).toHaveLength(4);
    const resent = await twoFactorLogin({ twoFactorId: second, code: lastCodeTo(fake, "+15555550201") });
    expect(resent.status, await resent.clone().text()).toBe(200);
  });

  it("posts a form to the account's Messages.json with Basic auth of the configured account SID and token", async () => {
    expect((await sendToPhone("555-555-0202", await newSecret())).status).toBe(200);
    const calls = vi.mocked(globalThis.fetch).mock.calls.map(([input, init]) => new Request(input, init));
    const twilioCalls = calls.filter((request) => request.url.startsWith(FAKE_TWILIO_URL));
    expect(twilioCalls).toHaveLength(1);
    const [request] = twilioCalls;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe(`${FAKE_TWILIO_URL}/2010-04-01/Accounts/${DEFAULT_ACCOUNT_SID}/Messages.json`);
    expect(request!.headers.get("Authorization")).toBe(`Basic ${btoa(`${DEFAULT_ACCOUNT_SID}:${DEFAULT_AUTH_TOKEN}`)}`);
    expect(request!.headers.get("Content-Type")).toMatch(/^application\/x-www-form-urlencoded/);
    const form = await request!.formData();
    expect(form.get("To")).toBe("+15555550202");
    expect(form.get("From")).toBe(FROM_NUMBER);
    expect(form.get("ValidityPeriod")).toBe("300");
    expect(form.get("Body")).toMatch(SMS_BODY);
    expect(messagesTo(fake, "+15555550202")).toHaveLength(1);
  });
});

describe("POST /api/two-factor/send {userId}", () => {
  it("texts a 2FA user's code, which then disables 2FA through DELETE /api/user/two-factor/{id}?code=", async () => {
    freezeClock();
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "555-555-0203" });
    expect(await emptyResponse(await sendForUser(user.id))).toEqual(EMPTY_200);
    const code = lastCodeTo(fake, "+15555550203");
    const disabled = await call("DELETE", `/api/user/two-factor/${user.id}?code=${code}`);
    expect(await emptyResponse(disabled)).toEqual(EMPTY_200);
    const record = await jsonBody<{ user: { twoFactorEnabled?: boolean } }>(await call("GET", `/api/user/${user.id}`));
    expect(record.user.twoFactorEnabled).toBe(false);
  });

  it("answers 400 for a user without 2FA and texts nothing", async () => {
    const user = await createUser({ mobilePhone: "555-555-0204" });
    const response = await sendForUser(user.id);
    expect(response.status).toBe(400);
    expect((await jsonBody<{ generalErrors?: unknown[]; fieldErrors?: unknown }>(response)).generalErrors?.length).toBe(1);
    expect(messagesTo(fake, "+15555550204")).toHaveLength(0);
  });

  it("answers 400 for a 2FA user without a mobile phone", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const response = await sendForUser(user.id);
    expect(response.status).toBe(400);
    expect(await jsonBody(response)).toHaveProperty("fieldErrors");
  });

  it("texts a usable code right after enabling, in the same time step (the next step's code)", async () => {
    freezeClock();
    // Enabling with the authenticator uses up the current step's code for this user.
    const user = await createTwoFactorUser({ mobilePhone: "555-555-0205" });
    expect((await sendForUser(user.id)).status).toBe(200);
    const code = lastCodeTo(fake, "+15555550205");
    expect(code).not.toBe(await codeFor(user.secret));
    expect(code).toBe(await codeFor(user.secret, 1));
    const done = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
    expect(done.status, await done.clone().text()).toBe(200);
  });
});

describe("POST /api/two-factor/send with a JWT", () => {
  it("texts the JWT user's code for a request with no body", async () => {
    freezeClock();
    const user = await createUser({ mobilePhone: "555-555-0206" });
    const token = await accessToken(user);
    const secret = await newSecret();
    const patched = await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: secret } } });
    expect(patched.status).toBe(200);

    const sent = await call("POST", "/api/two-factor/send", { apiKey: null, headers: { Authorization: `Bearer ${token}` } });
    expect(await emptyResponse(sent)).toEqual(EMPTY_200);
    expect(lastCodeTo(fake, "+15555550206")).toBe(await codeFor(secret));
  });

  it("answers 401 without any credentials", async () => {
    expect((await call("POST", "/api/two-factor/send", { apiKey: null })).status).toBe(401);
  });
});

describe("POST /api/two-factor/send/{twoFactorId}", () => {
  it("answers 404 with an empty body for an unknown twoFactorId", async () => {
    const unknown = "A".repeat(43);
    expect(await emptyResponse(await sendDuringLogin(unknown))).toEqual({ status: 404, contentType: null, body: "" });
    expect(await emptyResponse(await sendDuringLogin("not-a-two-factor-id"))).toEqual({ status: 404, contentType: null, body: "" });
  });

  it("answers 404 once the challenge has been used", async () => {
    freezeClock();
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "555-555-0207" });
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    expect((await sendDuringLogin(twoFactorId)).status).toBe(404);
    expect(messagesTo(fake, "+15555550207")).toHaveLength(0);
  });
});

describe("the sender", () => {
  it("sends MessagingServiceSid and no From when a Messaging Service is configured without a from number", async () => {
    expect((await configureTwilio({ fromPhoneNumber: undefined, messagingServiceSid: MESSAGING_SERVICE_SID })).status).toBe(200);
    expect((await sendToPhone("555-555-0208", await newSecret())).status).toBe(200);
    const [message] = messagesTo(fake, "+15555550208");
    expect(message?.messagingServiceSid).toBe(MESSAGING_SERVICE_SID);
    expect(message).not.toHaveProperty("from");
  });
});

describe("Twilio not configured", () => {
  it("answers 400 with a generalErrors body and texts nothing", async () => {
    const disabled = await call("PUT", "/api/integration", { body: { integrations: { twilio: { enabled: false } } } });
    expect(disabled.status).toBe(200);
    const response = await sendToPhone("555-555-0209", await newSecret());
    expect(response.status).toBe(400);
    const body = await jsonBody<{ generalErrors: Array<{ code: string; message: string }> }>(response);
    expect(body.generalErrors).toHaveLength(1);
    expect(body.generalErrors[0]!.code).toMatch(/^\[\w+\]$/);
    expect(body.generalErrors[0]!.message.length).toBeGreaterThan(0);
    expect(fake.requests).toBe(0);
  });

  it("texts with the settings this isolate read in the last 5 s, and with a change made elsewhere after that", async () => {
    freezeClock();
    expect((await configureTwilio()).status).toBe(200);
    // Another isolate turns the integration off: here only KV changes.
    await env.KV.put(kvKeys.integrations, JSON.stringify({ twilio: { enabled: false } }));
    expect((await sendToPhone("555-555-0211", await newSecret())).status).toBe(200);
    advanceClock(5);
    expect((await sendToPhone("555-555-0212", await newSecret())).status).toBe(400);
    expect(messagesTo(fake, "+15555550211")).toHaveLength(1);
    expect(messagesTo(fake, "+15555550212")).toHaveLength(0);
  });

  it("answers 400 to a {userId} send as well", async () => {
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "555-555-0210" });
    expect((await call("PUT", "/api/integration", { body: { integrations: { twilio: { enabled: false } } } })).status).toBe(200);
    const response = await sendForUser(user.id);
    expect(response.status).toBe(400);
    expect(await jsonBody(response)).toHaveProperty("generalErrors");
  });
});
