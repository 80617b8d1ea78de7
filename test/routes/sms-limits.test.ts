// SMS rate limits and the slow-SMS window: 30 s between sends to a phone, 10 per phone per
// hour, 5 per login challenge, all answered 429 with Retry-After and an Errors body; a texted code
// stays acceptable, once, for 300 s; and no code, token or SMS body ever reaches the console.
// Every test has its own users and phone numbers (555-555-04xx) and a frozen clock.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_AUTH_TOKEN } from "../fake-twilio/handler";
import {
  advanceClock,
  call,
  createTextMessageUser,
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
import { configureTwilio, installFakeTwilio, lastCodeTo, messagesTo, sendDuringLogin, sendToPhone, type FakeTwilioServer } from "../twilio-fake";

type Errors = { generalErrors?: Array<{ code: string; message: string }>; fieldErrors?: unknown };

let fake: FakeTwilioServer;

beforeEach(async () => {
  fake = installFakeTwilio();
  expect((await configureTwilio()).status).toBe(200);
  freezeClock();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const sendForUser = (userId: string) => call("POST", "/api/two-factor/send", { body: { userId } });

/** Checks a rate-limit answer: 429, an integer Retry-After, an Errors body. Returns Retry-After. */
async function tooManyRequests(response: Response): Promise<number> {
  expect(response.status).toBe(429);
  const retryAfter = response.headers.get("Retry-After");
  expect(retryAfter).toMatch(/^\d+$/);
  const body = await jsonBody<Errors>(response);
  expect(body.generalErrors?.length).toBeGreaterThan(0);
  expect(body.generalErrors![0]!.code).toMatch(/^\[\w+\]$/);
  return Number(retryAfter);
}

describe("per-phone limits", () => {
  it("refuses a second send to one phone within 30 s with 429 and Retry-After, and allows it 31 s later", async () => {
    const secret = await newSecret();
    expect((await sendToPhone("555-555-0401", secret)).status).toBe(200);
    const retryAfter = await tooManyRequests(await sendToPhone("555-555-0401", secret));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(messagesTo(fake, "+15555550401")).toHaveLength(1);
    // Another phone is not affected.
    expect((await sendToPhone("555-555-0412", secret)).status).toBe(200);

    advanceClock(31);
    expect((await sendToPhone("555-555-0401", secret)).status).toBe(200);
    expect(messagesTo(fake, "+15555550401")).toHaveLength(2);
  });

  it("allows at most 10 sends to one phone per hour and names the wait until a slot frees up", async () => {
    const secret = await newSecret();
    for (let send = 1; send <= 10; send += 1) {
      const response = await sendToPhone("555-555-0402", secret);
      expect(response.status, `send ${send}`).toBe(200);
      advanceClock(31);
    }
    const retryAfter = await tooManyRequests(await sendToPhone("555-555-0402", secret));
    // Longer than the 30 s spacing: this is the hourly cap.
    expect(retryAfter).toBeGreaterThan(31);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(messagesTo(fake, "+15555550402")).toHaveLength(10);

    advanceClock(retryAfter);
    expect((await sendToPhone("555-555-0402", secret)).status).toBe(200);
  });
});

describe("per-challenge limit", () => {
  it("allows the login SMS and 4 resends for one challenge, then answers 429", async () => {
    const user = await createTextMessageUser("555-555-0403");
    const twoFactorId = await startTwoFactorLogin(user);
    expect(messagesTo(fake, "+15555550403")).toHaveLength(1);
    for (let resend = 1; resend <= 4; resend += 1) {
      advanceClock(31);
      expect(await emptyResponse(await sendDuringLogin(twoFactorId)), `resend ${resend}`).toEqual({ status: 200, contentType: null, body: "" });
    }
    advanceClock(31);
    expect(await tooManyRequests(await sendDuringLogin(twoFactorId))).toBeGreaterThan(0);
    expect(messagesTo(fake, "+15555550403")).toHaveLength(5);
    // The phone itself could still receive a code: the challenge was the limit.
    expect((await sendForUser(user.id)).status).toBe(200);
    // The challenge is still usable with the last code it texted.
    const done = await twoFactorLogin({ twoFactorId, code: messagesTo(fake, "+15555550403")[4]!.body.slice(-6) });
    expect(done.status).toBe(200);
  });

  it("does not count a resend the 30 s spacing refused toward the challenge's 5 sends", async () => {
    const user = await createTextMessageUser("555-555-0404");
    const twoFactorId = await startTwoFactorLogin(user);
    expect(messagesTo(fake, "+15555550404")).toHaveLength(1);
    // Impatient clicks on "resend": refused by the per-phone spacing, nothing is sent.
    for (let click = 1; click <= 4; click += 1) {
      const retryAfter = await tooManyRequests(await sendDuringLogin(twoFactorId));
      expect(retryAfter).toBeLessThanOrEqual(30);
    }
    advanceClock(31);
    // Only one SMS went out for this challenge, so honouring Retry-After must get a code.
    const resend = await sendDuringLogin(twoFactorId);
    expect(resend.status, await resend.clone().text()).toBe(200);
    expect(messagesTo(fake, "+15555550404")).toHaveLength(2);
  });
});

describe("the slow-SMS window", () => {
  it("accepts a code texted during login 200 s later, but only once", async () => {
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "555-555-0405" });
    const twoFactorId = await startTwoFactorLogin(user);
    expect(messagesTo(fake, "+15555550405")).toHaveLength(0); // delivery None: the login texts nothing
    expect((await sendDuringLogin(twoFactorId)).status).toBe(200);
    const code = lastCodeTo(fake, "+15555550405");

    advanceClock(200);
    const done = await twoFactorLogin({ twoFactorId, code });
    expect(done.status, await done.clone().text()).toBe(200);

    const replay = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
    expect(await emptyResponse(replay)).toEqual({ status: 421, contentType: null, body: "" });
  });

  it("refuses a code texted during login 301 s later", async () => {
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "555-555-0406" });
    const first = await startTwoFactorLogin(user);
    expect((await sendDuringLogin(first)).status).toBe(200);
    const code = lastCodeTo(fake, "+15555550406");

    advanceClock(301);
    expect((await twoFactorLogin({ twoFactorId: first, code })).status).toBe(404); // the challenge expired too
    const late = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
    expect(await emptyResponse(late)).toEqual({ status: 421, contentType: null, body: "" });
  });

  it("accepts a code texted by a {userId} send for a login started 200 s later", async () => {
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "555-555-0407" });
    expect((await sendForUser(user.id)).status).toBe(200);
    const code = lastCodeTo(fake, "+15555550407");
    advanceClock(200);
    const done = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
    expect(done.status, await done.clone().text()).toBe(200);
  });

  it("enables 2FA with a code the enable helper texted 200 s earlier", async () => {
    const user = await createUser({ mobilePhone: "555-555-0408" });
    const secret = await newSecret();
    expect((await sendToPhone("555-555-0408", secret)).status).toBe(200);
    const code = lastCodeTo(fake, "+15555550408");
    advanceClock(200);
    const enabled = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { code, secret, delivery: "TextMessage" } });
    expect(await emptyResponse(enabled)).toEqual({ status: 200, contentType: null, body: "" });
  });

  it("refuses to enable 2FA with a code the enable helper texted 301 s earlier", async () => {
    const user = await createUser({ mobilePhone: "555-555-0409" });
    const secret = await newSecret();
    expect((await sendToPhone("555-555-0409", secret)).status).toBe(200);
    const code = lastCodeTo(fake, "+15555550409");
    advanceClock(301);
    const enabled = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { code, secret, delivery: "TextMessage" } });
    expect(await emptyResponse(enabled)).toEqual({ status: 421, contentType: null, body: "" });
  });
});

describe("logging", () => {
  it("never writes a code, the auth token or an SMS body to the console", async () => {
    const captured: string[] = [];
    const capture = (...args: unknown[]) => {
      captured.push(args.map((arg) => (typeof arg === "string" ? arg : arg instanceof Error ? `${arg.message} ${arg.stack}` : JSON.stringify(arg))).join(" "));
    };
    for (const method of ["log", "warn", "error", "info", "debug"] as const) vi.spyOn(console, method).mockImplementation(capture);

    // The tutorial: enrolment SMS, enable, login SMS, resend, completion.
    const user = await createUser({ mobilePhone: "555-555-0410" });
    const secret = await newSecret();
    expect((await sendToPhone("555-555-0410", secret)).status).toBe(200);
    const enabled = await call("PUT", `/api/user/two-factor/${user.id}`, { body: { code: lastCodeTo(fake, "+15555550410"), secret, delivery: "TextMessage" } });
    expect(enabled.status).toBe(200);
    advanceClock(31);
    const twoFactorId = await startTwoFactorLogin(user);
    advanceClock(31);
    expect((await sendDuringLogin(twoFactorId)).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId, code: lastCodeTo(fake, "+15555550410") })).status).toBe(200);

    // Failures log too: a send Twilio refuses, and a login whose SMS Twilio refuses.
    expect((await configureTwilio({ authToken: "wrong-auth-token-for-logging" })).status).toBe(200);
    expect((await sendToPhone("555-555-0411", secret)).status).toBe(400);
    advanceClock(31);
    expect((await login(user.email, user.password)).status).toBe(242);

    const codes = messagesTo(fake, "+15555550410").map((message) => message.body.slice(-6));
    expect(codes).toHaveLength(3);
    expect(captured.length).toBeGreaterThan(0); // the spies did see the Worker's logs
    const output = captured.join("\n");
    for (const code of codes) expect(output).not.toContain(code);
    expect(output).not.toContain(DEFAULT_AUTH_TOKEN);
    expect(output).not.toContain("wrong-auth-token-for-logging");
    expect(output).not.toContain(secret);
    expect(output).not.toContain("Two Factor Code");
  });
});
