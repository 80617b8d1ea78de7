// The limits in front of every code email, as pure functions: which address and domain a send counts
// under, the names of its refusals, and the masked address logs and events show. A form that mails
// codes can be turned on a mailbox (a flood of codes to one person), walked through one company's
// addresses, or used to spend the sender's reputation; the limits cap what one address, one domain,
// one client and the service as a whole are sent in an hour (src/objects/phone-throttle.ts counts,
// src/services/shared/email-guard.ts asks and reports).
import type { Limit } from "./sms-guard";
import { normalizeLoginId } from "./user";

/** Why an email was refused: one name per limit, in logs and events. */
export const EMAIL_REFUSAL_REASONS = ["address", "domain", "ip", "budget"] as const;
export type EmailRefusalReason = (typeof EMAIL_REFUSAL_REASONS)[number];

/**
 * The name of each count's refusal for email: the address (its spacing and hourly cap), its domain,
 * the client, and the hour's budget (emails are counted in one bucket, whose cap is the budget).
 */
export const EMAIL_LIMIT_REASONS = {
  recipient: "address",
  group: "domain",
  client: "ip",
  bucket: "budget",
  budget: "budget",
} as const satisfies Record<Limit, EmailRefusalReason>;

/** The one bucket every email counts in (texts count per destination country). */
export const EMAIL_BUCKET = "email";

/** Where an email would go, as it is counted: the address and its domain in one spelling each. */
export type EmailRecipient = { address: string; domain: string };

/**
 * One spelling per mailbox, so that no spelling earns more codes: folded as login ids are (NFKC,
 * lower case, no final dot), the domain in its ASCII form (IDNA A-labels, as the WHATWG URL parser
 * writes a host: `bücher.de` is `xn--bcher-kva.de`), and without a subaddress (`jo+1@` is `jo@`,
 * RFC 5233), which most providers deliver to the same mailbox. Counting only: the email goes to the
 * address as given.
 */
export function emailRecipient(email: string): EmailRecipient {
  const folded = normalizeLoginId(email);
  const at = folded.lastIndexOf("@");
  const domain = asciiDomain(folded.slice(at + 1));
  const local = folded.slice(0, Math.max(at, 0)).split("+", 1)[0]!;
  return { address: `${local}@${domain}`, domain };
}

function asciiDomain(domain: string): string {
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return domain;
  }
}

/**
 * An address as logs and events show it: the first character of the local part (none when that is
 * all of it), `•••`, and the domain. Never the whole address.
 */
export function maskedAddress(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 0) return "•••";
  const local = Array.from(email.slice(0, at));
  return `${local.length > 1 ? local[0] : ""}•••@${email.slice(at + 1)}`;
}
