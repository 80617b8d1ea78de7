// What a send answers, whichever transport carried it, and how a failure's text is made safe to
// log and to answer: no recipient's address, no password, no code.

import type { DeliveryFailure } from "../domain/failures";

export type EmailResult = { ok: true; messageId: string } | { ok: false; failure: DeliveryFailure; detail: string };

const MAX_DETAIL = 300;

/**
 * `text` without `secrets`, email addresses (servers echo `RCPT TO:<a@b>`), runs of 4 or more
 * digits (a code, wherever a server may have echoed it) and control characters (one log line).
 */
function scrub(text: string, secrets: Array<string | undefined>): string {
  let safe = text;
  for (const secret of secrets) if (secret) safe = safe.replaceAll(secret, "…");
  return safe
    .replace(/[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/g, "…")
    .replace(/\d{4,}/g, "…")
    .replace(/[\p{Cc}\p{Cf}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_DETAIL);
}

export function failed(failure: DeliveryFailure, error: unknown, secrets: Array<string | undefined>): EmailResult {
  return { ok: false, failure, detail: scrub(error instanceof Error ? error.message : String(error), secrets) };
}
