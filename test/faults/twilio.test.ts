// Twilio faults not covered by test/routes/sms-failures.test.ts (which has Twilio's error answers, 429,
// 500 and a hung Twilio): the network down (fetch rejects), fetch throwing synchronously, and 201
// answers without a message SID (not JSON, or JSON without `sid`). Each is a clear 400 in bounded time,
// never a 500, and a text that did not go out leaves nothing behind: no code kept acceptable, no
// challenge send used up.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { keyFromSecret } from "../../src/domain/secret";
import { readEnrolmentCodes } from "../../src/kv/enrolment-codes";
import { advanceClock, call, captureConsole, createTextMessageUser, freezeClock, jsonBody, login, newSecret, twoFactorLogin } from "../helpers";
import { readAccount, readChallenge } from "../storage";
import { configureTwilio, installFaultyTwilio, lastCodeTo, pushFailure, sendDuringLogin, sendToPhone, type TwilioFault } from "../twilio-fake";

let twilio: ReturnType<typeof installFaultyTwilio>;

beforeEach(async () => {
  twilio = installFaultyTwilio();
  expect((await configureTwilio()).status).toBe(200);
  freezeClock();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const challengeSends = (twoFactorId: string) => readChallenge(twoFactorId).then((challenge) => challenge!.smsSends);

describe("Twilio failing in new ways", () => {
  const faults: Array<[string, number, TwilioFault, string]> = [
    ["the network down (fetch rejects)", 2, "unreachable", "555-555-0501"],
    ["fetch throwing synchronously", 2, "throws", "555-555-0502"],
    ["a 201 whose body is not JSON", 1, "not-json", "555-555-0503"],
    ["a 201 JSON without a message SID", 1, "no-sid", "555-555-0504"],
  ];

  it.each(faults)("answers 400 [PushTwoFactorFailed] to %s, after %i attempt(s), in bounded time", async (_label, attempts, fault, phone) => {
    twilio.control.fault = fault;
    const started = performance.now();
    const message = await pushFailure(await sendToPhone(phone, await newSecret()));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(message).not.toBe("");
    // Network failures are retried once; a 201 is not, since Twilio may have queued the message.
    expect(twilio.control.attempts).toBe(attempts);
    expect(twilio.fake.messages).toHaveLength(0);
  });

  it("says which of the two happened: no answer, or an answer without a message SID", async () => {
    twilio.control.fault = "unreachable";
    expect(await pushFailure(await sendToPhone("555-555-0505", await newSecret()))).toMatch(/reach/i);
    twilio.control.fault = "no-sid";
    expect(await pushFailure(await sendToPhone("555-555-0506", await newSecret()))).toMatch(/SID/);
  });
});

describe("a text that did not go out", () => {
  // Twilio's magic numbers: it refuses +15005550001 (21211, invalid) and +15005550002 (21612,
  // unreachable), so no text was sent and no one can know the code.
  it("leaves no enrolment code behind when Twilio refuses the enrolment text", async () => {
    const secret = await newSecret();
    expect(await pushFailure(await sendToPhone("+15005550001", secret))).toContain("21211");
    expect(await readEnrolmentCodes(env.KV, keyFromSecret(secret)!)).toEqual([]);
  });

  it("leaves no extra acceptable code on the user when Twilio refuses a {userId} text", async () => {
    const user = await createTextMessageUser("+15005550002");
    const before = (await readAccount(user.id)).guard.smsCodes;
    expect(await pushFailure(await call("POST", "/api/two-factor/send", { body: { userId: user.id } }))).toContain("21612");
    expect((await readAccount(user.id)).guard.smsCodes).toEqual(before);
  });

  it("still answers 242 when Twilio is unreachable during login, gives the send back, and a later resend logs in", async () => {
    const user = await createTextMessageUser("555-555-0513");
    twilio.control.fault = "unreachable";
    const logs = captureConsole();
    const started = await login(user.email, user.password);
    expect(started.status).toBe(242);
    const { twoFactorId } = await jsonBody<{ twoFactorId: string }>(started);
    expect(logs.some((line) => line.includes("login.sms.failed"))).toBe(true);
    expect(await challengeSends(twoFactorId)).toBe(0);

    twilio.control.fault = "up";
    advanceClock(31);
    expect((await sendDuringLogin(twoFactorId)).status).toBe(200);
    expect(await challengeSends(twoFactorId)).toBe(1);
    expect((await twoFactorLogin({ twoFactorId, code: lastCodeTo(twilio.fake, "+15555550513") })).status).toBe(200);
  });

  it("answers a resend during login 400 when Twilio is down, and gives the send back", async () => {
    const user = await createTextMessageUser("555-555-0514");
    const started = await login(user.email, user.password);
    const { twoFactorId } = await jsonBody<{ twoFactorId: string }>(started);
    expect(await challengeSends(twoFactorId)).toBe(1);
    twilio.control.fault = "throws";
    advanceClock(31);
    await pushFailure(await sendDuringLogin(twoFactorId));
    expect(await challengeSends(twoFactorId)).toBe(1);
  });
});
