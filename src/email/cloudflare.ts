// Cloudflare Email Service's `send_email` binding (https://developers.cloudflare.com/email-service/api/send-emails/workers-api/),
// in its object form. Its errors carry a string `code`; the ones that refuse this message for good
// are `rejected`, the rest (rate limits, internal errors) `error`.
import type { EmailSender } from "../domain/integrations";
import { failed, type EmailResult } from "./result";
import type { OutgoingEmail } from "./send";

/** The binding's final refusals (its error codes table, and the header rules of /email-service/reference/headers/). */
const REFUSED =
  /^E_(?:VALIDATION_ERROR|FIELD_MISSING|TOO_MANY_RECIPIENTS|CONTENT_TOO_LARGE|SENDER_NOT_VERIFIED|SENDER_DOMAIN_NOT_AVAILABLE|RECIPIENT_NOT_ALLOWED|RECIPIENT_SUPPRESSED|HEADER\w*)$/;

export async function sendThroughBinding(binding: SendEmail | undefined, from: EmailSender, message: OutgoingEmail): Promise<EmailResult> {
  if (!binding) return failed("error", "The Worker has no send_email binding named EMAIL (wrangler.toml).", []);
  try {
    const { messageId } = await binding.send({
      from: from.name ? { email: from.email, name: from.name } : from.email,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers: message.headers,
    });
    return { ok: true, messageId };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const text = error instanceof Error ? error.message : String(error);
    // The local simulation (miniflare) has no codes: it says "email to … not allowed".
    const refused = typeof code === "string" ? REFUSED.test(code) : / not allowed$/.test(text);
    return failed(refused ? "rejected" : "error", typeof code === "string" ? `${code}: ${text}` : text, [message.to]);
  }
}
