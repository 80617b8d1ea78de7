// The limits in front of every code email (enable, user and login sends), as the SMS guard is in
// front of every text (./sms-guard.ts): the counts are asked in email's own objects
// (src/objects/phone-throttle.ts), first the shard of the address's domain (spacing, per address,
// per domain) and, when it admits the email, email's budget object (per client, overall). A refusal
// gives back what was taken and is logged as one JSON line and sent as an `email.refused` event,
// with the domain and the address masked, never the address.
import { tooManySends, type Failure } from "../../domain/failures";
import { EMAIL_BUCKET, EMAIL_LIMIT_REASONS, emailRecipient, maskedAddress, type EmailRecipient, type EmailRefusalReason } from "../../domain/email-guard";
import { clientAllowance, purposeKind, type TextClient } from "../../domain/sms-guard";
import { countSend, giveBackSend, type Send } from "../../objects/phone-throttle";
import { emit } from "./events";
import { record } from "./metrics";
import type { Scope } from "./scope";

/** An email as the limits see it. */
export type EmailRequest = {
  /** Trimmed, its domain lower-cased. */
  email: string;
  /** What the email is for (`enable:<userId>`, `user:<userId>`, `login:<key>`): sends for one purpose are spaced. */
  purpose: string;
  /** Who asked for it, for the cap per client (src/routes/http/client-ip.ts tells). */
  client: TextClient;
};

/**
 * Lets a code email go to `request.email`, answering how to give its slot back if it surely never
 * went out (the address's and domain's counts; the hour's budget keeps it); throws the refusal's
 * Failure (429 with Retry-After) otherwise.
 */
export async function admitEmail(scope: Scope, request: EmailRequest): Promise<() => Promise<void>> {
  const { env, config, now: nowMs } = scope;
  const { guard } = config.email;
  const recipient = emailRecipient(request.email);
  const { address, domain } = recipient;
  const send: Send = {
    channel: "email",
    recipient: address,
    group: domain,
    bucket: EMAIL_BUCKET,
    purpose: request.purpose,
    nowMs,
    limits: { minIntervalSeconds: guard.minIntervalSeconds, maxPerRecipientPerHour: guard.maxPerAddressPerHour, maxPerGroupPerHour: guard.maxPerDomainPerHour },
  };
  const client = clientAllowance(request.client, guard);
  const permit = await countSend(env, send, client.key, {
    maxPerClientPerHour: client.maxPerHour,
    maxPerBucketPerHour: guard.maxPerHour,
    maxPerHour: guard.maxPerHour,
  });
  if (!permit.allowed) throw refused(scope, request.purpose, EMAIL_LIMIT_REASONS[permit.limit], recipient, permit.retryAfterSeconds);
  return () => giveBackSend(env, send);
}

/**
 * The one place a refusal is reported: one `email.refused` line and event (the purpose's kind, not
 * the user; the counted address masked, and its domain), and the Failure the caller answers with.
 */
function refused(scope: Scope, purpose: string, reason: EmailRefusalReason, recipient: EmailRecipient, retryAfterSeconds: number): Failure {
  const info = { reason, domain: recipient.domain, address: maskedAddress(recipient.address), purpose: purposeKind(purpose) };
  console.warn(JSON.stringify({ event: "email.refused", ...info }));
  record(scope, { event: "refusal", outcome: reason, method: "email" });
  emit(scope, { type: "email.refused", info });
  return tooManySends(retryAfterSeconds);
}
