// The Integrations API, email part: `integrations.email` beside `integrations.twilio` (GET / PUT /
// PATCH), the write-only SMTP password encrypted at rest and kept only while its destination
// stays, validation, and what senders get from it (emailConfig). The SMTP settings are proved by
// sending through the accepting SMTP server of test/email/smtp-servers.ts, which checks the login.
// The integrations are one document shared by every test in this file: each test sets up what it needs.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { codeEmail } from "../../src/email/message";
import { sendEmail } from "../../src/email/send";
import { parseConfig } from "../../src/domain/config";
import { emailConfig, INTEGRATIONS_CACHE_MS } from "../../src/kv/integrations";
import { call, jsonBody, uniqueEmail } from "../helpers";
import { smtpIntegration } from "../email/smtp-integration";
import { kvKeys } from "../storage";
import { configureTwilio } from "../twilio-fake";

const smtp = inject("smtp");
const EMAIL = "integrations.email";

type Errors = { fieldErrors?: Record<string, Array<{ code: string; message: string }>> };
type View = { twilio: Record<string, unknown>; email: Record<string, unknown> };

afterEach(() => {
  vi.useRealTimers();
});

const integration = (method: "PUT" | "PATCH", integrations: Record<string, unknown>) => call(method, "/api/integration", { body: { integrations } });
const putEmail = (email: Record<string, unknown>) => integration("PUT", { email });
const patchEmail = (email: Record<string, unknown>) => integration("PATCH", { email });

const smtpConfig = (overrides: Record<string, unknown> = {}) => smtpIntegration(smtp, smtp.accepting, overrides);
const { password: _password, ...publicSmtp } = smtpConfig();

async function view(): Promise<View> {
  const response = await call("GET", "/api/integration");
  expect(response.status).toBe(200);
  return (await jsonBody<{ integrations: View }>(response)).integrations;
}

async function fieldErrorCodes(response: Response): Promise<Record<string, string[]>> {
  expect(response.status).toBe(400);
  const body = await jsonBody<Errors>(response);
  return Object.fromEntries(Object.entries(body.fieldErrors ?? {}).map(([field, errors]) => [field, errors.map((error) => error.code)]));
}

/** Sends a code with what emailConfig answers now: through the accepting SMTP server, its login checked. */
async function sendWithStoredSettings() {
  const settings = await emailConfig(env);
  expect(settings).not.toBeNull();
  const message = codeEmail(parseConfig({}).email.message, { code: "123456", lifetimeSeconds: 60 });
  return sendEmail(env, settings!, { to: uniqueEmail("integration"), ...message });
}

describe("GET, PUT and PATCH /api/integration with an email member", () => {
  it("answer a disabled email integration before anything was configured", async () => {
    await env.KV.delete(kvKeys.integrations);
    expect(await view()).toEqual({ twilio: { enabled: false }, email: { enabled: false } });
  });

  it("store the SMTP settings and never answer the password, which is encrypted at rest", async () => {
    const response = await putEmail(smtpConfig());
    expect(response.status, await response.clone().text()).toBe(200);
    const raw = await response.clone().text();
    expect(raw).not.toContain("password");
    expect(raw).not.toContain(smtp.password);
    expect((await jsonBody<{ integrations: View }>(response)).integrations.email).toEqual(publicSmtp);
    expect((await view()).email).toEqual(publicSmtp);

    const stored = await env.KV.get(kvKeys.integrations);
    expect(stored).not.toContain(smtp.password);
    expect(JSON.parse(stored!).email.password).toMatch(/^v1\./);
    expect(await sendWithStoredSettings()).toMatchObject({ ok: true });
  });

  it("leave Twilio alone when only email is sent, and email alone when only Twilio is sent", async () => {
    expect((await configureTwilio()).status).toBe(200);
    const twilio = (await view()).twilio;
    for (const method of ["PUT", "PATCH"] as const) {
      expect((await integration(method, { email: smtpConfig() })).status).toBe(200);
      expect((await view()).twilio).toEqual(twilio);
    }
    expect((await integration("PATCH", { twilio: { fromPhoneNumber: "+15005550007" } })).status).toBe(200);
    expect((await view()).email).toEqual(publicSmtp);
    expect((await integration("PUT", { twilio: { enabled: false } })).status).toBe(200);
    expect((await view()).email).toEqual(publicSmtp);
    expect(await sendWithStoredSettings()).toMatchObject({ ok: true });
  });

  it("keep the password on a PATCH or PUT without it that leaves host, port, security and username", async () => {
    expect((await putEmail(smtpConfig())).status).toBe(200);
    expect((await patchEmail({ defaultFromName: "Example" })).status).toBe(200);
    expect(await sendWithStoredSettings()).toMatchObject({ ok: true });
    const { password: _secret, ...withoutPassword } = smtpConfig({ defaultFromName: "Another name" });
    expect((await putEmail(withoutPassword)).status).toBe(200);
    expect(await sendWithStoredSettings()).toMatchObject({ ok: true });
  });

  // The password goes where host, port, security and username say: moving any of them without it again
  // would let an API-key holder send the stored password to a server of their own, or in the clear.
  it.each([
    ["host", { host: "localhost" }],
    ["port", { port: smtp.refusingLogin }],
    ["security", { security: "TLS" }],
    ["username", { username: "someone-else" }],
  ])("refuse to change %s without the password again ([blank]integrations.email.password) and change nothing", async (_field, change) => {
    expect((await putEmail(smtpConfig())).status).toBe(200);
    const stored = await env.KV.get(kvKeys.integrations);
    for (const method of ["PATCH", "PUT"] as const) {
      const { password: _secret, ...body } = smtpConfig(change);
      const codes = await fieldErrorCodes(await integration(method, { email: method === "PUT" ? body : change }));
      expect(codes[`${EMAIL}.password`]).toEqual([`[blank]${EMAIL}.password`]);
    }
    expect(await env.KV.get(kvKeys.integrations)).toBe(stored);
  });

  it("move the server when the password comes with it, and drop the password when a disabled integration moves", async () => {
    expect((await putEmail(smtpConfig({ port: smtp.refusingLogin }))).status).toBe(200);
    expect(await sendWithStoredSettings()).toMatchObject({ ok: false, failure: "refused-login" });
    expect((await patchEmail({ port: smtp.accepting, password: smtp.password })).status).toBe(200);
    expect(await sendWithStoredSettings()).toMatchObject({ ok: true });

    expect((await patchEmail({ enabled: false, host: "localhost" })).status).toBe(200);
    expect(JSON.parse((await env.KV.get(kvKeys.integrations))!).email.password).toBeUndefined();
    // Nothing to keep, so nothing to ask for again (a server may take mail without a login); the login now fails.
    expect((await patchEmail({ enabled: true, host: "127.0.0.1" })).status).toBe(200);
    expect(await sendWithStoredSettings()).toMatchObject({ ok: false, failure: "refused-login" });
  });
});

describe("validation", () => {
  it.each([
    ["defaultFromEmail left out", { defaultFromEmail: null }, "defaultFromEmail", "blank"],
    ["no host for SMTP", { host: null }, "host", "blank"],
    ["port 0", { port: 0 }, "port", "invalid"],
    ["port 65536", { port: 65_536 }, "port", "invalid"],
    ["port 25, which Workers cannot reach", { port: 25 }, "port", "invalid"],
    ["a port that is no number", { port: "587" }, "port", "invalid"],
    ["security STARTTLS", { security: "STARTTLS" }, "security", "invalid"],
    ["transport sendgrid", { transport: "sendgrid" }, "transport", "invalid"],
    ["a from address that is none", { defaultFromEmail: "not an address" }, "defaultFromEmail", "invalid"],
    ["a host with a scheme", { host: "smtp://mail.example.com" }, "host", "invalid"],
    [
      "a from name with a quote, which would end the From header's display name",
      { defaultFromName: 'Example" <evil@example.net>' },
      "defaultFromName",
      "invalid",
    ],
  ])("refuses %s as [%s] and stores nothing", async (_case, change, field, type) => {
    expect((await putEmail(smtpConfig())).status).toBe(200);
    const stored = await env.KV.get(kvKeys.integrations);
    const codes = await fieldErrorCodes(await putEmail(smtpConfig(change)));
    expect(codes[`${EMAIL}.${field}`]).toEqual([`[${type}]${EMAIL}.${field}`]);
    expect(await env.KV.get(kvKeys.integrations)).toBe(stored);
  });

  it("accepts a disabled integration without any details, and the binding without SMTP details", async () => {
    expect((await putEmail({ enabled: false })).status).toBe(200);
    const response = await putEmail({ enabled: true, transport: "cloudflare", defaultFromEmail: "codes@example.com" });
    expect(response.status).toBe(200);
    expect((await view()).email).toEqual({ enabled: true, transport: "cloudflare", defaultFromEmail: "codes@example.com" });
  });
});

describe("emailConfig: what senders get", () => {
  it("is the stored integration when enabled, SMTP when it names a host without a transport, with its defaults", async () => {
    expect((await putEmail(smtpConfig({ transport: null, port: null, security: null }))).status).toBe(200);
    expect(await emailConfig(env)).toEqual({
      transport: "smtp",
      from: { email: "two-factor@example.com", name: "Example Sign-in" },
      host: "127.0.0.1",
      port: 465,
      security: "SSL",
      username: smtp.username,
      password: smtp.password,
    });
    expect((await patchEmail({ security: "TLS", password: smtp.password })).status).toBe(200);
    expect(await emailConfig(env)).toMatchObject({ port: 587, security: "TLS" });
    expect((await putEmail({ enabled: true, defaultFromEmail: "codes@example.com" })).status).toBe(200);
    expect(await emailConfig(env)).toEqual({ transport: "cloudflare", from: { email: "codes@example.com" } });
  });

  it("is the binding from EMAIL_FROM and EMAIL_FROM_NAME when no integration is enabled, else null", async () => {
    expect((await putEmail({ enabled: false })).status).toBe(200);
    expect(await emailConfig(env)).toEqual({ transport: "cloudflare", from: { email: "two-factor@example.com" } });
    expect(await emailConfig({ ...env, EMAIL_FROM_NAME: "Example" })).toEqual({
      transport: "cloudflare",
      from: { email: "two-factor@example.com", name: "Example" },
    });
    expect(await emailConfig({ ...env, EMAIL_FROM: "" })).toBeNull();
  });

  it("reads KV at most once per INTEGRATIONS_CACHE_MS: a change stored by another isolate applies after that", async () => {
    expect((await putEmail({ enabled: true, defaultFromEmail: "first@example.com" })).status).toBe(200);
    const { integrations } = { integrations: JSON.parse((await env.KV.get(kvKeys.integrations))!) };
    // Another isolate's write: KV changes, this isolate's copy does not.
    await env.KV.put(kvKeys.integrations, JSON.stringify({ ...integrations, email: { enabled: true, defaultFromEmail: "second@example.com" } }));
    const get = vi.spyOn(env.KV, "get");
    expect((await emailConfig(env))?.from.email).toBe("first@example.com");
    expect(get).not.toHaveBeenCalled();
    vi.useFakeTimers({ now: Date.now() + INTEGRATIONS_CACHE_MS });
    expect((await emailConfig(env))?.from.email).toBe("second@example.com");
    get.mockRestore();
  });
});
