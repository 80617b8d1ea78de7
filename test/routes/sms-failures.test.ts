// Twilio failures through POST /api/two-factor/send {mobilePhone, secret}: Twilio's error
// answers become 400 [PushTwoFactorFailed] naming the Twilio code; 429/5xx/timeouts get one bounded
// retry; request validation; never a 500; and a login whose SMS fails still answers 242.
// Twilio's magic test numbers are fixed and some tests share one, so every test starts with their
// per-phone throttle cleared (the throttle is shared within the file); other numbers are per test.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { call, createTextMessageUser, emptyResponse, jsonBody, login, newSecret } from "../helpers";
import { clearPhoneThrottle, configureTwilio, installFakeTwilio, messagesTo, pushFailure, sendToPhone, type FakeTwilioServer } from "../twilio-fake";

type Errors = { fieldErrors?: Record<string, Array<{ code: string; message: string }>>; generalErrors?: Array<{ code: string; message: string }> };

const MAGIC_NUMBERS = [
  "+15005550001",
  "+15005550002",
  "+15005550003",
  "+15005550004",
  "+15005550009",
  "+15005550429",
  "+15005550430",
  "+15005550500",
  "+15005550504",
];

let fake: FakeTwilioServer;

beforeEach(async () => {
  await Promise.all(MAGIC_NUMBERS.map(clearPhoneThrottle));
  fake = installFakeTwilio();
  expect((await configureTwilio()).status).toBe(200);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function fieldErrorCodes(response: Response): Promise<Record<string, string[]>> {
  expect(response.status).toBe(400);
  const body = await jsonBody<Errors>(response);
  return Object.fromEntries(Object.entries(body.fieldErrors ?? {}).map(([field, errors]) => [field, errors.map((error) => error.code)]));
}

describe("Twilio rejects the message", () => {
  const rejections: Array<[number, string]> = [
    [21211, "+15005550001"],
    [21612, "+15005550002"],
    [21408, "+15005550003"],
    [21610, "+15005550004"],
    [21614, "+15005550009"],
  ];

  it.each(rejections)("answers 400 [PushTwoFactorFailed] naming Twilio error %i for %s", async (twilioCode, phone) => {
    const before = fake.requests;
    const message = await pushFailure(await sendToPhone(phone, await newSecret()));
    expect(message).toContain(String(twilioCode));
    // Twilio's 4xx is final: no retry.
    expect(fake.requests).toBe(before + 1);
    expect(messagesTo(fake, phone)).toHaveLength(0);
  });

  it("answers 400 [PushTwoFactorFailed] naming 20003 when the configured auth token is wrong", async () => {
    expect((await configureTwilio({ authToken: "wrong-auth-token" })).status).toBe(200);
    const message = await pushFailure(await sendToPhone("555-555-0301", await newSecret()));
    expect(message).toContain("20003");
    expect(message).not.toContain("wrong-auth-token");
    expect(messagesTo(fake, "+15555550301")).toHaveLength(0);
  });
});

describe("a text Twilio surely refused", () => {
  it("gives back its place in the phone's limits: the same send works at once when Twilio is set right", async () => {
    const secret = await newSecret();
    expect((await configureTwilio({ authToken: "wrong-auth-token" })).status).toBe(200);
    expect(await pushFailure(await sendToPhone("555-555-0303", secret))).toContain("20003");
    expect((await configureTwilio()).status).toBe(200);
    expect((await sendToPhone("555-555-0303", secret)).status).toBe(200);
    expect(messagesTo(fake, "+15555550303")).toHaveLength(1);
  });
});

describe("retries", () => {
  it("succeeds after the single retry when Twilio answers 429 once", async () => {
    const before = fake.requests;
    const response = await sendToPhone("+15005550430", await newSecret());
    expect(await emptyResponse(response)).toEqual({ status: 200, contentType: null, body: "" });
    expect(fake.requests).toBe(before + 2);
    expect(messagesTo(fake, "+15005550430")).toHaveLength(1);
  });

  it("answers 400 after one retry when Twilio keeps answering 429", async () => {
    const before = fake.requests;
    const message = await pushFailure(await sendToPhone("+15005550429", await newSecret()));
    expect(message).toContain("20429");
    expect(fake.requests).toBe(before + 2);
  });

  it("answers 400 after one retry when Twilio answers 500", async () => {
    const before = fake.requests;
    await pushFailure(await sendToPhone("+15005550500", await newSecret()));
    expect(fake.requests).toBe(before + 2);
  });

  // Two attempts of the client's 5 s timeout plus the retry pause: this test takes about 10 s.
  it("answers 400 within a bounded time when Twilio hangs", { timeout: 30_000 }, async () => {
    const before = fake.requests;
    const started = performance.now();
    const response = await sendToPhone("+15005550504", await newSecret());
    const elapsedMs = performance.now() - started;
    await pushFailure(response);
    expect(elapsedMs).toBeLessThan(15_000);
    expect(fake.requests).toBe(before + 2);
  });
});

describe("request validation", () => {
  it("answers 400 [invalid]mobilePhone for a mobilePhone that is not a phone number", async () => {
    const codes = await fieldErrorCodes(await sendToPhone("not a phone", await newSecret()));
    expect(codes.mobilePhone).toEqual(["[invalid]mobilePhone"]);
    expect(fake.requests).toBe(0);
  });

  it("answers 400 [blank]secret for a mobilePhone without a secret", async () => {
    const codes = await fieldErrorCodes(await call("POST", "/api/two-factor/send", { body: { mobilePhone: "555-555-0302" } }));
    expect(codes.secret).toEqual(["[blank]secret"]);
    expect(fake.requests).toBe(0);
  });

  it("answers 400 [invalid]secret for a secret that is not Base64 of at least 10 bytes", async () => {
    const codes = await fieldErrorCodes(await sendToPhone("555-555-0303", "short"));
    expect(codes.secret).toEqual(["[invalid]secret"]);
    expect(fake.requests).toBe(0);
  });

  it("answers 400 [blank]userId for an API-key send with an empty body", async () => {
    const codes = await fieldErrorCodes(await call("POST", "/api/two-factor/send", { body: {} }));
    expect(codes.userId).toEqual(["[blank]userId"]);
  });

  it("answers 404 to a {userId} send for an unknown user", async () => {
    const response = await call("POST", "/api/two-factor/send", { body: { userId: crypto.randomUUID() } });
    expect(await emptyResponse(response)).toEqual({ status: 404, contentType: null, body: "" });
  });
});

describe("never a 500", () => {
  it("answers every failure path with a 4xx", async () => {
    const secret = await newSecret();
    const phones = ["+15005550001", "+15005550003", "+15005550429", "+15005550500", "not a phone", "555-555-0304", "555-555-0304"];
    for (const phone of phones) {
      const response = await sendToPhone(phone, secret);
      expect(response.status, `${phone}: ${await response.clone().text()}`).toBeLessThan(500);
    }
  });
});

describe("login SMS failures", () => {
  it("still answers 242 when Twilio rejects the login SMS of a TextMessage user", async () => {
    const user = await createTextMessageUser("+15005550002");
    const before = fake.requests;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const response = await login(user.email, user.password);
    expect(response.status).toBe(242);
    const body = await jsonBody<{ twoFactorId: string }>(response);
    expect(body.twoFactorId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Twilio was asked, and refused.
    expect(fake.requests).toBe(before + 1);
    expect(messagesTo(fake, "+15005550002")).toHaveLength(0);
    expect(warn).toHaveBeenCalled();
  });
});
