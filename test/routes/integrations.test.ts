// The Integrations API, Twilio part (the email part: integrations-email.test.ts): GET / PUT / PATCH, the write-only
// auth token encrypted at rest, merging, validation and authentication. The integration is global
// state shared by every test in this file, so each test sets up the configuration it needs itself.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from "../fake-twilio/handler";
import { call, emptyResponse, jsonBody, newSecret } from "../helpers";
import { configureTwilio, FAKE_TWILIO_URL, FROM_NUMBER, installFakeTwilio, messagesTo, sendToPhone } from "../twilio-fake";
import { kvKeys } from "../storage";

const STORE_KEY = kvKeys.integrations;
const TWILIO = "integrations.twilio";

afterEach(() => {
  vi.restoreAllMocks();
});

type TwilioView = { enabled: boolean; accountSID?: string; authToken?: string; fromPhoneNumber?: string; messagingServiceSid?: string; url?: string };
type Errors = { fieldErrors?: Record<string, Array<{ code: string; message: string }>>; generalErrors?: Array<{ code: string; message: string }> };

const integration = (method: "PUT" | "PATCH", twilio: Record<string, unknown>) => call(method, "/api/integration", { body: { integrations: { twilio } } });

const fullConfig = (overrides: Record<string, unknown> = {}) => ({
  enabled: true,
  accountSID: DEFAULT_ACCOUNT_SID,
  authToken: DEFAULT_AUTH_TOKEN,
  fromPhoneNumber: FROM_NUMBER,
  url: FAKE_TWILIO_URL,
  ...overrides,
});

/** The field error codes of a 400 response. */
async function fieldErrorCodes(response: Response): Promise<Record<string, string[]>> {
  expect(response.status).toBe(400);
  const body = await jsonBody<Errors>(response);
  return Object.fromEntries(Object.entries(body.fieldErrors ?? {}).map(([field, errors]) => [field, errors.map((error) => error.code)]));
}

async function getTwilio(): Promise<{ raw: string; twilio: TwilioView }> {
  const response = await call("GET", "/api/integration");
  expect(response.status).toBe(200);
  const raw = await response.clone().text();
  return { raw, twilio: (await jsonBody<{ integrations: { twilio: TwilioView } }>(response)).integrations.twilio };
}

describe("GET /api/integration", () => {
  it("answers a disabled Twilio integration before anything was configured", async () => {
    await env.KV.delete(STORE_KEY);
    const response = await call("GET", "/api/integration");
    expect(response.status).toBe(200);
    expect(await jsonBody(response)).toEqual({ integrations: { twilio: { enabled: false }, email: { enabled: false } } });
  });

  it("answers 401 with an empty body without an API key", async () => {
    expect(await emptyResponse(await call("GET", "/api/integration", { apiKey: null }))).toEqual({ status: 401, contentType: null, body: "" });
  });

  it("answers 401 to a wrong API key", async () => {
    expect((await call("GET", "/api/integration", { apiKey: "not-a-key" })).status).toBe(401);
  });
});

describe("PUT /api/integration", () => {
  it("stores a full configuration and never returns the auth token, neither in the response nor in a later GET", async () => {
    const response = await integration("PUT", fullConfig());
    expect(response.status).toBe(200);
    const raw = await response.clone().text();
    expect(raw).not.toContain("authToken");
    expect(raw).not.toContain(DEFAULT_AUTH_TOKEN);
    const { twilio } = (await jsonBody<{ integrations: { twilio: TwilioView } }>(response)).integrations;
    expect(twilio).toEqual({ enabled: true, accountSID: DEFAULT_ACCOUNT_SID, fromPhoneNumber: FROM_NUMBER, url: FAKE_TWILIO_URL });

    const later = await getTwilio();
    expect(later.raw).not.toContain("authToken");
    expect(later.raw).not.toContain(DEFAULT_AUTH_TOKEN);
    expect(later.twilio).toEqual({ enabled: true, accountSID: DEFAULT_ACCOUNT_SID, fromPhoneNumber: FROM_NUMBER, url: FAKE_TWILIO_URL });
  });

  it("encrypts the auth token at rest in KV", async () => {
    const token = `plain-token-${crypto.randomUUID()}`;
    expect((await integration("PUT", fullConfig({ authToken: token }))).status).toBe(200);
    const stored = await env.KV.get<{ twilio: { authToken?: string; accountSID?: string } }>(STORE_KEY, "json");
    expect(stored?.twilio.accountSID).toBe(DEFAULT_ACCOUNT_SID);
    expect(stored?.twilio.authToken).toMatch(/^v1\./);
    expect(stored?.twilio.authToken).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it("answers 401 with an empty body without an API key and changes nothing", async () => {
    expect((await integration("PUT", fullConfig())).status).toBe(200);
    const denied = await call("PUT", "/api/integration", { apiKey: null, body: { integrations: { twilio: { enabled: false } } } });
    expect(await emptyResponse(denied)).toEqual({ status: 401, contentType: null, body: "" });
    expect((await getTwilio()).twilio.enabled).toBe(true);
  });
});

describe("PATCH /api/integration", () => {
  it("merges: changing only fromPhoneNumber keeps the stored auth token and SMS still works", async () => {
    const fake = installFakeTwilio();
    expect((await integration("PUT", fullConfig())).status).toBe(200);
    const patched = await integration("PATCH", { fromPhoneNumber: "+15005550007" });
    expect(patched.status).toBe(200);
    const { twilio } = (await jsonBody<{ integrations: { twilio: TwilioView } }>(patched)).integrations;
    expect(twilio).toEqual({ enabled: true, accountSID: DEFAULT_ACCOUNT_SID, fromPhoneNumber: "+15005550007", url: FAKE_TWILIO_URL });

    // The fake only accepts the right Basic credentials, so a lost or mangled token fails this send.
    const sent = await sendToPhone("555-555-0151", await newSecret());
    expect(sent.status, await sent.clone().text()).toBe(200);
    const messages = messagesTo(fake, "+15555550151");
    expect(messages).toHaveLength(1);
    expect(messages[0]!.from).toBe("+15005550007");
  });

  // The auth token goes where url and accountSID say: moving either without the token again would let an
  // API-key holder send the stored token to a server of their own.
  it.each([
    ["url", { url: "https://collector.example" }],
    ["accountSID", { accountSID: "AC" + "f".repeat(32) }],
  ])("refuses to change %s without the auth token again ([blank]integrations.twilio.authToken) and changes nothing", async (_field, change) => {
    expect((await integration("PUT", fullConfig())).status).toBe(200);
    for (const method of ["PATCH", "PUT"] as const) {
      const body = method === "PUT" ? (({ authToken: _token, ...rest }) => rest)(fullConfig(change)) : change;
      const codes = await fieldErrorCodes(await integration(method, body));
      expect(codes[`${TWILIO}.authToken`]).toEqual([`[blank]${TWILIO}.authToken`]);
    }
    expect((await getTwilio()).twilio).toEqual({ enabled: true, accountSID: DEFAULT_ACCOUNT_SID, fromPhoneNumber: FROM_NUMBER, url: FAKE_TWILIO_URL });
  });

  it("moves url or accountSID when the auth token comes with it, and a disabled integration drops the token instead", async () => {
    const fake = installFakeTwilio();
    expect((await integration("PUT", fullConfig({ url: "https://old.example" }))).status).toBe(200);
    expect((await integration("PATCH", { url: FAKE_TWILIO_URL, authToken: DEFAULT_AUTH_TOKEN })).status).toBe(200);
    expect((await sendToPhone("555-555-0154", await newSecret())).status).toBe(200);
    expect(messagesTo(fake, "+15555550154")).toHaveLength(1);

    // Disabled, the move is allowed but the stored token is gone: enabling again needs it.
    expect((await integration("PATCH", { enabled: false, url: "https://collector.example" })).status).toBe(200);
    const stored = await env.KV.get<{ twilio: { authToken?: string } }>(STORE_KEY, "json");
    expect(stored?.twilio.authToken).toBeUndefined();
    const codes = await fieldErrorCodes(await integration("PATCH", { enabled: true, url: FAKE_TWILIO_URL }));
    expect(codes[`${TWILIO}.authToken`]).toEqual([`[blank]${TWILIO}.authToken`]);
  });

  it("answers 401 without an API key", async () => {
    expect((await call("PATCH", "/api/integration", { apiKey: null, body: { integrations: { twilio: { enabled: false } } } })).status).toBe(401);
  });
});

describe("validation", () => {
  it("refuses an enabled integration with a malformed accountSID as [invalid]integrations.twilio.accountSID", async () => {
    const codes = await fieldErrorCodes(await integration("PUT", fullConfig({ accountSID: "not-an-account-sid" })));
    expect(codes[`${TWILIO}.accountSID`]).toEqual([`[invalid]${TWILIO}.accountSID`]);
  });

  it("refuses an enabled integration without an auth token on a fresh store as [blank]integrations.twilio.authToken", async () => {
    await env.KV.delete(STORE_KEY);
    const { authToken: _token, ...withoutToken } = fullConfig();
    const codes = await fieldErrorCodes(await integration("PUT", withoutToken));
    expect(codes[`${TWILIO}.authToken`]).toEqual([`[blank]${TWILIO}.authToken`]);
    // Nothing was stored by the refused request.
    expect(await env.KV.get(STORE_KEY)).toBeNull();
  });

  it("refuses an enabled integration with neither fromPhoneNumber nor messagingServiceSid as [blank]integrations.twilio.fromPhoneNumber", async () => {
    const { fromPhoneNumber: _from, ...withoutSender } = fullConfig();
    const codes = await fieldErrorCodes(await integration("PUT", withoutSender));
    expect(codes[`${TWILIO}.fromPhoneNumber`]).toEqual([`[blank]${TWILIO}.fromPhoneNumber`]);
  });

  it("refuses a url that is not http(s) as [invalid]integrations.twilio.url", async () => {
    const codes = await fieldErrorCodes(await integration("PUT", fullConfig({ url: "ftp://x" })));
    expect(codes[`${TWILIO}.url`]).toEqual([`[invalid]${TWILIO}.url`]);
  });

  it("keeps the previous configuration when a request is refused", async () => {
    expect((await integration("PUT", fullConfig({ fromPhoneNumber: "+15005550008" }))).status).toBe(200);
    expect((await integration("PATCH", { url: "ftp://x" })).status).toBe(400);
    expect((await getTwilio()).twilio).toEqual({ enabled: true, accountSID: DEFAULT_ACCOUNT_SID, fromPhoneNumber: "+15005550008", url: FAKE_TWILIO_URL });
  });

  it("accepts a disabled integration without any Twilio details", async () => {
    const response = await integration("PUT", { enabled: false });
    expect(response.status).toBe(200);
    expect((await jsonBody<{ integrations: { twilio: TwilioView } }>(response)).integrations.twilio.enabled).toBe(false);
  });
});

describe("the integration drives SMS", () => {
  it("sends through the configured integration and stops sending once it is disabled", async () => {
    const fake = installFakeTwilio();
    expect((await configureTwilio()).status).toBe(200);
    const secret = await newSecret();
    expect((await sendToPhone("555-555-0152", secret)).status).toBe(200);
    expect(messagesTo(fake, "+15555550152")).toHaveLength(1);

    expect((await integration("PUT", { enabled: false })).status).toBe(200);
    const refused = await sendToPhone("555-555-0153", secret);
    expect(refused.status).toBe(400);
    expect((await jsonBody<Errors>(refused)).generalErrors?.length).toBeGreaterThan(0);
    expect(messagesTo(fake, "+15555550153")).toHaveLength(0);
  });
});
