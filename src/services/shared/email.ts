// Emailing a two-factor code: the abuse limits (./email-guard.ts), the message (src/email/message.ts),
// the transport the settings name (Cloudflare Email Service or SMTP, src/email/send.ts), and a
// failed send turned into a clear error. Logs carry the message id, never the address or the code.
import { fail, generalFailure } from "../../domain/failures";
import type { EmailSettings } from "../../domain/integrations";
import type { TextClient } from "../../domain/sms-guard";
import { codeEmail } from "../../email/message";
import { sendEmail } from "../../email/send";
import { emailConfig } from "../../kv/integrations";
import { admitEmail } from "./email-guard";
import { record } from "./metrics";
import type { Scope } from "./scope";

/** The email settings, or a clear 400 before any code is made. */
export async function requireEmail(env: Env): Promise<EmailSettings> {
  const settings = await emailConfig(env);
  if (!settings)
    throw generalFailure("EmailNotConfigured", "Email is not configured: set EMAIL_FROM for Cloudflare Email Service, or enable the email integration.");
  return settings;
}

export type Mail = { email: string; code: string; purpose: string; client: TextClient; lifetimeSeconds: number };

/**
 * Emails a code that was already made acceptable. When the email does not go out, `release` gives
 * back what was reserved for it; `withdrawCode` is true when the code surely never reached anyone
 * (after a timeout the server may still deliver it, so the code stays acceptable). An email that
 * surely never went out also gives back its place in the limits, so the user can ask again as soon
 * as the mail server is back.
 */
export async function mailCode(scope: Scope, settings: EmailSettings, mail: Mail, release: (withdrawCode: boolean) => Promise<void>): Promise<void> {
  const giveBackSlot = await admitEmail(scope, mail).catch(async (error: unknown) => {
    await release(true);
    throw error;
  });
  const message = codeEmail(scope.config.email.message, { code: mail.code, lifetimeSeconds: mail.lifetimeSeconds });
  const result = await sendEmail(scope.env, settings, { to: mail.email, ...message });
  record(scope, { event: "send", outcome: result.ok ? "sent" : result.failure, method: "email" });
  if (!result.ok) {
    // After a timeout the server may still deliver it: the code and the slot stay spent.
    const neverSent = result.failure !== "timeout";
    await release(neverSent);
    if (neverSent) await giveBackSlot();
    console.warn(JSON.stringify({ event: "email.failed", transport: settings.transport, failure: result.failure }));
    throw fail({ kind: "delivery-failed", failure: result.failure, message: `The email with the code could not be sent: ${result.detail}` });
  }
  console.log(JSON.stringify({ event: "email.sent", transport: settings.transport, messageId: result.messageId }));
}
