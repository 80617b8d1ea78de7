import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sendSms, type TwilioOptions } from "../../src/sms/twilio";
import type { TwilioSettings } from "../../src/domain/integrations";
import { createFakeTwilio, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from "../fake-twilio/handler";

const fake = createFakeTwilio();

const config: TwilioSettings = {
  accountSID: DEFAULT_ACCOUNT_SID,
  authToken: DEFAULT_AUTH_TOKEN,
  fromPhoneNumber: "+15005550006",
  // The trailing slash must not end up doubled in the path.
  url: "https://api.twilio.test/",
};

// Every request the client sent, cloned so its body can be read afterwards.
let sent: Request[] = [];

function options(extra: TwilioOptions = {}): TwilioOptions {
  return {
    fetch: async (input, init) => {
      const request = new Request(input, init);
      sent.push(request.clone());
      return fake.handle(request);
    },
    retryDelayMs: 10,
    ...extra,
  };
}

// A stand-in Twilio answering every request with the same canned response.
function answering(status: number, body: string, contentType = "application/json") {
  let calls = 0;
  const fetch: typeof globalThis.fetch = async () => {
    calls++;
    return new Response(body, { status, headers: { "Content-Type": contentType } });
  };
  return { fetch, calls: () => calls };
}

beforeEach(() => {
  fake.reset();
  sent = [];
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("sendSms wire format", () => {
  it("posts a form with Basic auth to the account's Messages resource", async () => {
    const result = await sendSms(config, { to: "+15555555555", body: "Two Factor Code: 123456" }, options());

    expect(result.ok).toBe(true);
    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`https://api.twilio.test/2010-04-01/Accounts/${DEFAULT_ACCOUNT_SID}/Messages.json`);
    expect(request.headers.get("Authorization")).toBe(`Basic ${btoa(`${DEFAULT_ACCOUNT_SID}:${DEFAULT_AUTH_TOKEN}`)}`);
    expect(request.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    const form = await request.formData();
    expect([...form.keys()]).toEqual(["To", "From", "Body"]);
    expect(form.get("To")).toBe("+15555555555");
    expect(form.get("From")).toBe("+15005550006");
    expect(form.get("Body")).toBe("Two Factor Code: 123456");
  });

  it("returns the message SID the fake recorded", async () => {
    const result = await sendSms(config, { to: "+15555555555", body: "hi" }, options());

    expect(fake.messages).toHaveLength(1);
    const message = fake.messages[0]!;
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result).toEqual({ ok: true, sid: message.sid });
    expect(message).toMatchObject({ to: "+15555555555", from: "+15005550006", body: "hi" });
  });

  it("sends MessagingServiceSid instead of From when one is configured", async () => {
    const withService = { ...config, messagingServiceSid: "MG" + "0".repeat(32) };
    const result = await sendSms(withService, { to: "+15555555555", body: "hi" }, options());

    expect(result.ok).toBe(true);
    const form = await sent[0]!.formData();
    expect([...form.keys()]).toEqual(["To", "MessagingServiceSid", "Body"]);
    expect(fake.messages[0]).toMatchObject({ messagingServiceSid: withService.messagingServiceSid });
    expect(fake.messages[0]!.from).toBeUndefined();
  });

  it.each([
    [300, 300],
    [299.6, 300],
    [0, 1],
    [-5, 1],
    [100_000, 36000],
  ])("sends ValidityPeriod %d as %d", async (given, expected) => {
    await sendSms(config, { to: "+15555555555", body: "hi", validityPeriodSeconds: given }, options());

    const form = await sent[0]!.formData();
    expect(form.get("ValidityPeriod")).toBe(String(expected));
    expect(fake.messages[0]!.validityPeriod).toBe(expected);
  });

  it("leaves ValidityPeriod out when not given", async () => {
    await sendSms(config, { to: "+15555555555", body: "hi" }, options());

    expect((await sent[0]!.formData()).has("ValidityPeriod")).toBe(false);
  });

  it("encodes non-ASCII credentials as UTF-8", async () => {
    const unicodeFake = createFakeTwilio({ authToken: "jéton-🔑" });
    const result = await sendSms(
      { ...config, authToken: "jéton-🔑" },
      { to: "+15555555555", body: "hi" },
      { fetch: async (input, init) => unicodeFake.handle(new Request(input, init)) },
    );

    expect(result.ok).toBe(true);
  });

  it("logs nothing, so neither the token nor the code can leak", async () => {
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((name) => vi.spyOn(console, name));

    await sendSms(config, { to: "+15555555555", body: "Code: 123456" }, options());
    await sendSms(config, { to: "+15005550001", body: "Code: 123456" }, options());
    await sendSms(config, { to: "+15005550500", body: "Code: 123456" }, options());

    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

describe("sendSms Twilio errors", () => {
  it.each([
    ["+15005550001", 21211],
    ["+15005550002", 21612],
    ["+15005550003", 21408],
    ["+15005550004", 21610],
    ["+15005550009", 21614],
    ["not-a-number", 21211],
  ])("maps To %s to code %d without retrying", async (to, code) => {
    const result = await sendSms(config, { to, body: "hi" }, options());

    expect(result).toMatchObject({ ok: false, status: 400, code });
    expect(fake.requests).toBe(1);
    expect(fake.messages).toHaveLength(0);
  });

  it("maps an invalid From to 21212", async () => {
    const result = await sendSms({ ...config, fromPhoneNumber: "+15005550001" }, { to: "+15555555555", body: "hi" }, options());

    expect(result).toMatchObject({ ok: false, status: 400, code: 21212 });
    expect(fake.requests).toBe(1);
  });

  it("maps a missing sender to 21603", async () => {
    const result = await sendSms({ ...config, fromPhoneNumber: undefined }, { to: "+15555555555", body: "hi" }, options());

    expect(result).toEqual({ ok: false, status: 400, code: 21603, message: "A 'From' phone number is required." });
  });

  it("maps an empty body to 21602", async () => {
    const result = await sendSms(config, { to: "+15555555555", body: "" }, options());

    expect(result).toMatchObject({ ok: false, status: 400, code: 21602 });
  });

  it("maps bad credentials to 20003 / 401", async () => {
    const result = await sendSms({ ...config, authToken: "wrong" }, { to: "+15555555555", body: "hi" }, options());

    expect(result).toEqual({ ok: false, status: 401, code: 20003, message: "Authenticate" });
    expect(fake.requests).toBe(1);
  });

  it("reports a non-JSON error body by its HTTP status", async () => {
    const twilio = answering(400, "<html>Bad Request</html>", "text/html");
    const result = await sendSms(config, { to: "+15555555555", body: "hi" }, { fetch: twilio.fetch });

    expect(result).toEqual({ ok: false, status: 400, code: null, message: "Twilio answered HTTP 400" });
    expect(twilio.calls()).toBe(1);
  });

  it("reports a JSON error body without Twilio's fields by its HTTP status", async () => {
    const twilio = answering(403, JSON.stringify({ error: "nope" }));
    const result = await sendSms(config, { to: "+15555555555", body: "hi" }, { fetch: twilio.fetch });

    expect(result).toEqual({ ok: false, status: 403, code: null, message: "Twilio answered HTTP 403" });
  });

  it("treats a 2xx without a SID as an error and does not resend", async () => {
    const twilio = answering(201, JSON.stringify({ status: "queued" }));
    const result = await sendSms(config, { to: "+15555555555", body: "hi" }, { fetch: twilio.fetch });

    expect(result).toMatchObject({ ok: false, status: 201, code: null });
    expect(twilio.calls()).toBe(1);
  });
});

describe("sendSms retry", () => {
  it("retries once after a 429 and succeeds", async () => {
    const result = await sendSms(config, { to: "+15005550430", body: "hi" }, options());

    expect(result.ok).toBe(true);
    expect(fake.requests).toBe(2);
    expect(fake.messages).toHaveLength(1);
  });

  it("gives up after two 429s", async () => {
    const result = await sendSms(config, { to: "+15005550429", body: "hi" }, options());

    expect(result).toEqual({ ok: false, status: 429, code: 20429, message: "Too Many Requests" });
    expect(fake.requests).toBe(2);
  });

  it("retries Twilio's 20429 code even under another status", async () => {
    const twilio = answering(400, JSON.stringify({ code: 20429, message: "Too Many Requests", status: 400 }));
    await sendSms(config, { to: "+15555555555", body: "hi" }, { fetch: twilio.fetch, retryDelayMs: 10 });

    expect(twilio.calls()).toBe(2);
  });

  it("gives up after two 500s with an HTML body", async () => {
    const result = await sendSms(config, { to: "+15005550500", body: "hi" }, options());

    expect(result).toEqual({ ok: false, status: 500, code: null, message: "Twilio answered HTTP 500" });
    expect(fake.requests).toBe(2);
  });

  it("waits retryDelayMs before the retry", async () => {
    const started = Date.now();
    await sendSms(config, { to: "+15005550429", body: "hi" }, options({ retryDelayMs: 150 }));

    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("times out a Twilio that never answers, twice, in bounded time", async () => {
    const started = Date.now();
    const result = await sendSms(config, { to: "+15005550504", body: "hi" }, options({ timeoutMs: 200 }));
    const elapsed = Date.now() - started;

    expect(result).toEqual({ ok: false, status: 504, code: null, message: "Twilio did not answer within 200 ms" });
    expect(fake.requests).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(2000);
  });

  it("aborts the timed-out request", async () => {
    const signals: AbortSignal[] = [];
    const hang: typeof fetch = (_input, init) => {
      signals.push(init!.signal!);
      return new Promise(() => {});
    };
    const result = await sendSms(config, { to: "+15555555555", body: "hi" }, { fetch: hang, timeoutMs: 50, retryDelayMs: 0 });

    // Even a fetch that ignores its signal cannot stall sendSms.
    expect(result).toMatchObject({ ok: false, status: 504 });
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true]);
  });

  it("retries a network error once, then reports status 0", async () => {
    let calls = 0;
    const broken: typeof fetch = async () => {
      calls++;
      throw new TypeError("Network connection lost.");
    };
    const result = await sendSms(config, { to: "+15555555555", body: "hi" }, { fetch: broken, retryDelayMs: 0 });

    expect(result).toEqual({ ok: false, status: 0, code: null, message: "Could not reach Twilio: Network connection lost." });
    expect(calls).toBe(2);
  });

  it("succeeds when only the first attempt hits a network error", async () => {
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      if (++calls === 1) throw new TypeError("Network connection lost.");
      return fake.handle(new Request(input, init));
    };
    const result = await sendSms(config, { to: "+15555555555", body: "hi" }, { fetch: flaky, retryDelayMs: 0 });

    expect(result.ok).toBe(true);
    expect(calls).toBe(2);
  });
});
