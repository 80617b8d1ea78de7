// The transports (src/email/): the SMTP transport against real SMTP servers on 127.0.0.1
// (test/email/smtp-servers.ts, started by the project's global set-up), which workerd reaches over
// `cloudflare:sockets`; the `send_email` binding as miniflare simulates it; the local outbox.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { EmailSettings } from "../../src/domain/integrations";
import { parseConfig } from "../../src/domain/config";
import { codeEmail } from "../../src/email/message";
import { sendEmail, type OutgoingEmail } from "../../src/email/send";
import { readOutbox } from "../../src/kv/email-outbox";
import { uniqueEmail } from "../helpers";
import { receivedBy } from "./smtp-integration";

const smtp = inject("smtp");
const { username: SMTP_USER, password: SMTP_PASSWORD } = smtp;
const FROM = { email: "two-factor@example.com", name: "Example Sign-in" };
const CODE = "482915";

const message = (to = uniqueEmail("mail")): OutgoingEmail => ({
  to,
  ...codeEmail(parseConfig({ EMAIL_CODE_ORIGIN: "login.example.com", EMAIL_APPLICATION_NAME: "Example" }).email.message, { code: CODE, lifetimeSeconds: 60 }),
});

const smtpSettings = (port: number, login: { username?: string; password?: string } = { username: SMTP_USER, password: SMTP_PASSWORD }): EmailSettings => ({
  transport: "smtp",
  from: FROM,
  host: "127.0.0.1",
  port,
  security: "NONE",
  ...login,
});

const received = (to: string) => receivedBy(smtp, to);

/** A failure's detail names neither the recipient, nor the password, nor the code. */
function expectScrubbed(detail: string, to: string): void {
  for (const secret of [to, SMTP_PASSWORD, CODE, "@"]) expect(detail).not.toContain(secret);
}

describe("SMTP", () => {
  it("delivers the message: envelope, subject, text and HTML parts, headers, our Message-ID; no links", async () => {
    const email = message();
    const result = await sendEmail(env, smtpSettings(smtp.accepting), email);
    expect(result).toEqual({ ok: true, messageId: expect.stringMatching(/^<[0-9a-f-]{36}@example\.com>$/) });

    const [got, ...more] = await received(email.to);
    expect(more).toHaveLength(0);
    expect(got!.from).toBe(FROM.email);
    expect(got!.to).toEqual([email.to]);
    expect(got!.subject).toBe(`${CODE} is your Example verification code`);
    expect(got!.headers.from).toBe(`"${FROM.name}" <${FROM.email}>`);
    expect(got!.headers["message-id"]).toBe((result as { messageId: string }).messageId);
    expect(got!.headers["auto-submitted"]).toBe("auto-generated");
    expect(got!.headers["x-auto-response-suppress"]).toBe("All");
    expect(got!.text.trim()).toBe(email.text.trim());
    expect(got!.text.trim().split("\n").at(-1)).toBe(`@login.example.com #${CODE}`);
    expect(got!.html).toBe(email.html);
    expect(got!.html).toContain("This code expires in 1 minute");
    expect(got!.raw).not.toMatch(/https?:|<a\b|<img\b/i);
  });

  it.each([
    ["a server that refuses every login (535)", () => smtp.refusingLogin, { username: SMTP_USER, password: SMTP_PASSWORD }],
    ["a wrong password", () => smtp.accepting, { username: SMTP_USER, password: "not-the-password" }],
    ["no credentials where the server asks for them", () => smtp.accepting, {}],
  ] as Array<[string, () => number, { username?: string; password?: string }]>)("answers refused-login for %s", async (_case, port, login) => {
    const email = message();
    const result = await sendEmail(env, smtpSettings(port(), login), email);
    expect(result).toMatchObject({ ok: false, failure: "refused-login" });
    if (!result.ok) expectScrubbed(result.detail, email.to);
    if (!result.ok && login.password) expect(result.detail).not.toContain(login.password);
    expect(await received(email.to)).toHaveLength(0);
  });

  it("answers unreachable when nothing listens on the port", async () => {
    const email = message();
    const result = await sendEmail(env, smtpSettings(smtp.down), email);
    expect(result).toMatchObject({ ok: false, failure: "unreachable" });
    if (!result.ok) expectScrubbed(result.detail, email.to);
  });

  it("answers error, at once, when the server closes the connection without a reply", async () => {
    const started = Date.now();
    const result = await sendEmail(env, smtpSettings(smtp.closing, {}), message(), { smtpTimeoutMs: 5_000 });
    expect(result).toEqual({ ok: false, failure: "error", detail: "The SMTP server closed the connection" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("answers timeout when the server is slower than the bound, within the bound", async () => {
    const started = Date.now();
    const result = await sendEmail(env, smtpSettings(smtp.slow, {}), message(), { smtpTimeoutMs: 1_000 });
    expect(result).toEqual({ ok: false, failure: "timeout", detail: "The SMTP server did not answer within 1000 ms." });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("answers rejected for a 5xx to RCPT TO, without the address the server echoed", async () => {
    const email = message();
    const result = await sendEmail(env, smtpSettings(smtp.refusingRecipient, {}), email);
    expect(result).toMatchObject({ ok: false, failure: "rejected", detail: expect.stringContaining("550") });
    if (!result.ok) expectScrubbed(result.detail, email.to);
  });
});

describe("the send_email binding", () => {
  const cloudflare: EmailSettings = { transport: "cloudflare", from: FROM };

  it("sends through miniflare's simulation and keeps the message in the local outbox, newest last", async () => {
    const email = message();
    const result = await sendEmail(env, cloudflare, email);
    expect(result).toEqual({ ok: true, messageId: expect.stringMatching(/@example\.com>$/) });
    const kept = (await readOutbox(env)).at(-1);
    expect(kept).toEqual({ to: email.to, subject: email.subject, text: email.text, html: email.html, sentAt: expect.any(Number) });
  });

  it("keeps nothing when EMAIL_LOCAL_OUTBOX is not true, and at most 20 messages when it is", async () => {
    const email = message();
    expect((await sendEmail({ ...env, EMAIL_LOCAL_OUTBOX: "false" }, cloudflare, email)).ok).toBe(true);
    expect((await readOutbox(env)).map((kept) => kept.to)).not.toContain(email.to);

    const sent = [];
    for (let i = 0; i < 21; i++) {
      sent.push(message());
      expect((await sendEmail(env, cloudflare, sent.at(-1)!)).ok).toBe(true);
    }
    expect((await readOutbox(env)).map((kept) => kept.to)).toEqual(sent.slice(-20).map((email) => email.to));
  });

  it.each([
    ["E_SENDER_NOT_VERIFIED", "rejected"],
    ["E_RECIPIENT_SUPPRESSED", "rejected"],
    ["E_HEADER_NOT_ALLOWED", "rejected"],
    ["E_RATE_LIMIT_EXCEEDED", "error"],
    ["E_INTERNAL_SERVER_ERROR", "error"],
  ])("maps the binding's %s to %s, with the error's message scrubbed", async (code, failure) => {
    const email = message();
    const EMAIL = {
      send: async () => {
        throw Object.assign(new Error(`cannot send to ${email.to}: ${code}`), { code });
      },
    } as unknown as SendEmail;
    const result = await sendEmail({ ...env, EMAIL }, cloudflare, email);
    expect(result).toEqual({ ok: false, failure, detail: `${code}: cannot send to …: ${code}` });
  });

  it("answers error, not a throw, when the Worker has no EMAIL binding", async () => {
    const result = await sendEmail({ ...env, EMAIL: undefined } as unknown as Env, cloudflare, message());
    expect(result).toMatchObject({ ok: false, failure: "error" });
  });
});
