// Routes the Worker's outbound fetch to Twilio into the shared fake (same isolate as the tests).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import { HOUR_MS, hourOf, numberRange } from "../src/domain/sms-guard";
import { rangeThrottle } from "../src/objects/phone-throttle";
import { createFakeTwilio, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from "./fake-twilio/handler";
import { call } from "./helpers";

export const FAKE_TWILIO_URL = "http://twilio.fake";
export const FROM_NUMBER = "+15005550006";

export function installFakeTwilio() {
  const fake = createFakeTwilio();
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input, init);
    return request.url.startsWith(FAKE_TWILIO_URL) ? fake.handle(request) : realFetch(request);
  });
  return fake;
}

export function configureTwilio(overrides: Record<string, unknown> = {}) {
  return call("PUT", "/api/integration", {
    body: {
      integrations: {
        twilio: {
          enabled: true,
          accountSID: DEFAULT_ACCOUNT_SID,
          authToken: DEFAULT_AUTH_TOKEN,
          fromPhoneNumber: FROM_NUMBER,
          url: FAKE_TWILIO_URL,
          ...overrides,
        },
      },
    },
  });
}

/** The code in the newest message the fake received for `to`. */
export function lastCodeTo(fake: ReturnType<typeof createFakeTwilio>, to: string): string {
  const message = fake.messages.filter((m) => m.to === to).at(-1);
  const code = message?.body.match(/(\d{6})$/)?.[1];
  if (!code) throw new Error(`no code was texted to ${to}`);
  return code;
}

// ---- SMS ----

export type FakeTwilioServer = ReturnType<typeof createFakeTwilio>;

/** A syntactically valid Messaging Service SID (MG + 32 hex). */
export const MESSAGING_SERVICE_SID = "MG" + "0123456789abcdef".repeat(2);

/** The messages the fake accepted for `to` (E.164), oldest first. */
export function messagesTo(fake: FakeTwilioServer, to: string) {
  return fake.messages.filter((message) => message.to === to);
}

/**
 * Forgets every send recorded for `phone` (E.164) by the per-phone throttle, for the few tests that
 * must text a number another test in the same file also texts (Twilio's magic test numbers).
 */
export function clearPhoneThrottle(phone: string): Promise<unknown> {
  return rangeThrottle(env, numberRange(phone)).then((throttle) =>
    runInDurableObject(throttle, (_instance, state) => {
      state.storage.kv.delete(`sends:${phone}`);
    }),
  );
}

/**
 * Number ranges (see numberRange: `+1<area><exchange><thousands>`) in each of `areas` (`+1206`, …),
 * in that order, all counted by the same phone-throttle shard.
 */
export async function rangesInOneShard(areas: string[]): Promise<string[]> {
  const byShard = new Map<string, Map<string, string>>();
  for (let exchange = 620; ; exchange += 1)
    for (const area of areas) {
      const range = `${area}${exchange}0`;
      const shard = (await rangeThrottle(env, range)).id.toString();
      const found = byShard.get(shard) ?? new Map<string, string>();
      if (!found.has(area)) found.set(area, range);
      byShard.set(shard, found);
      if (found.size === areas.length) return areas.map((each) => found.get(each)!);
    }
}

/** `POST /api/two-factor/send {mobilePhone, secret}` with the API key (the enable helper). */
export function sendToPhone(mobilePhone: string, secret: string) {
  return call("POST", "/api/two-factor/send", { body: { mobilePhone, secret } });
}

/** `POST /api/two-factor/send/{twoFactorId}` as the official client sends it: text/plain, no body, no Authorization. */
export function sendDuringLogin(twoFactorId: string, headers: Record<string, string> = {}) {
  return call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, headers: { "Content-Type": "text/plain", ...headers } });
}

// ---- Twilio faults ----

/** How the fake Twilio behaves: normally, or one of the ways a real one (or the network) fails. */
export type TwilioFault = "up" | "unreachable" | "throws" | "not-json" | "no-sid";

/**
 * Like installFakeTwilio, but `control.fault` switches the Twilio URL between the working fake and a
 * failure: fetch rejecting (network down), fetch throwing synchronously, a 201 that is not JSON, and a
 * 201 JSON without a message SID. `control.attempts` counts the Worker's calls to Twilio.
 */
export function installFaultyTwilio() {
  const fake = createFakeTwilio();
  const control = { fault: "up" as TwilioFault, attempts: 0 };
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(FAKE_TWILIO_URL)) return realFetch(request);
    control.attempts += 1;
    switch (control.fault) {
      case "unreachable":
        return Promise.reject(new TypeError("Network connection lost."));
      case "throws":
        throw new TypeError("fetch failed before returning a promise");
      case "not-json":
        return Promise.resolve(new Response("<html><body>Created</body></html>", { status: 201, headers: { "Content-Type": "text/html" } }));
      case "no-sid":
        return Promise.resolve(Response.json({ status: "queued", to: "+15555550100" }, { status: 201 }));
      default:
        return fake.handle(request);
    }
  });
  return { fake, control };
}

/** The message of a 400 whose only error is [PushTwoFactorFailed]; fails the test otherwise. */
export async function pushFailure(response: Response): Promise<string> {
  expect(response.status).toBe(400);
  const body = (await response.json()) as { generalErrors?: Array<{ code: string; message: string }> };
  expect(body.generalErrors?.map((error) => error.code)).toEqual(["[PushTwoFactorFailed]"]);
  return body.generalErrors![0]!.message;
}

let hoursAhead = 0;

/**
 * The fake Twilio, configured, with `Date` frozen 10 s into a clock hour 100 hours from any other
 * call's in this file: the SMS guard's budgets and figures count per clock hour, and storage is
 * shared by the file, so each test starts with empty counts. Undo with `vi.useRealTimers()`.
 */
export async function smsHourOfItsOwn(): Promise<FakeTwilioServer> {
  const fake = installFakeTwilio();
  expect((await configureTwilio()).status).toBe(200);
  vi.useFakeTimers({ toFake: ["Date"] });
  hoursAhead += 100;
  vi.setSystemTime((hourOf(Date.now()) + 1000 + hoursAhead) * HOUR_MS + 10_000);
  return fake;
}

/** Whole seconds until the next clock hour, when the SMS guard's hourly budgets start again. */
export const secondsToNextHour = () => Math.ceil(((hourOf(Date.now()) + 1) * HOUR_MS - Date.now()) / 1000);

/**
 * Enables a phone method for user `userId` the 1.26+ way: `POST /api/two-factor/send {userId, method:
 * "sms", mobilePhone}`, then the enable with the code texted to `e164` (the number `mobilePhone` names).
 * Answers the enable's response (its body read by the caller).
 */
export async function enableSmsMethod(fake: FakeTwilioServer, userId: string, mobilePhone: string, e164: string): Promise<Response> {
  const sent = await call("POST", "/api/two-factor/send", { body: { userId, method: "sms", mobilePhone } });
  expect(sent.status, await sent.clone().text()).toBe(200);
  return call("POST", `/api/user/two-factor/${userId}`, { body: { method: "sms", mobilePhone, code: lastCodeTo(fake, e164) } });
}
