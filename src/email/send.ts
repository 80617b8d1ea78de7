// Sending one email through the transport the settings name (src/kv/integrations.ts emailConfig).
// Never throws: every outcome is an EmailResult whose detail holds no address, password or code.
// Under `npm start` (EMAIL_LOCAL_OUTBOX "true") what the binding took is also kept in the local
// outbox, where the developer reads it (GET /api/email/outbox, `npm run outbox`).
import type { EmailSettings } from "../domain/integrations";
import { keepInOutbox } from "../kv/email-outbox";
import { sendThroughBinding } from "./cloudflare";
import type { CodeEmail } from "./message";
import type { EmailResult } from "./result";
import { sendSmtp, SMTP_TIMEOUT_MS } from "./smtp";

export type { EmailResult } from "./result";

export type OutgoingEmail = CodeEmail & { to: string };

export type SendOptions = {
  /** The bound on an SMTP send, connect to QUIT; SMTP_TIMEOUT_MS unless given. */
  smtpTimeoutMs?: number;
};

export async function sendEmail(env: Env, settings: EmailSettings, message: OutgoingEmail, options: SendOptions = {}): Promise<EmailResult> {
  if (settings.transport === "smtp") return sendSmtp(settings, message, options.smtpTimeoutMs ?? SMTP_TIMEOUT_MS);
  const result = await sendThroughBinding(env.EMAIL, settings.from, message);
  if (result.ok && env.EMAIL_LOCAL_OUTBOX === "true") {
    const { to, subject, text, html } = message;
    // A development aid: a message that went out is not failed by the outbox.
    await keepInOutbox(env, { to, subject, text, html, sentAt: Date.now() }).catch(() => undefined);
  }
  return result;
}
