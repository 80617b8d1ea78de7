// Minimal Twilio Programmable Messaging client over plain fetch.
// Everything comes in as arguments so the caller decides where secrets live;
// nothing here logs, because the request carries the auth token and the code.

import type { TwilioSettings } from "../domain/integrations";

export type SmsMessage = { to: string; body: string; validityPeriodSeconds?: number };

/**
 * `status` is the HTTP status Twilio answered with, or 0 when the request
 * never got an answer (network error), or 504 when it timed out.
 */
export type SmsResult = { ok: true; sid: string } | { ok: false; status: number; code: number | null; message: string };

export type TwilioOptions = {
  fetch?: typeof fetch;
  /** Per attempt; default 5000. */
  timeoutMs?: number;
  /** Pause before the single retry; default 250. */
  retryDelayMs?: number;
};

// Twilio's accepted range for ValidityPeriod, in seconds.
const MIN_VALIDITY = 1;
const MAX_VALIDITY = 36000;
const TOO_MANY_REQUESTS = 20429;

type Attempt = { result: SmsResult; retryable: boolean };

/**
 * Sends one SMS. Never throws. Makes at most two attempts: the second only
 * when the first hit rate limiting, a 5xx, a network error or a timeout, so
 * the worst case is about 2 × timeoutMs + retryDelayMs.
 */
export async function sendSms(config: TwilioSettings, message: SmsMessage, options: TwilioOptions = {}): Promise<SmsResult> {
  // Wrapped so the global fetch is never called with a foreign `this`.
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 5000;
  const retryDelayMs = options.retryDelayMs ?? 250;

  const base = config.url.replace(/\/+$/, "");
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(config.accountSID)}/Messages.json`;
  const init = {
    method: "POST",
    headers: {
      Authorization: `Basic ${base64Utf8(`${config.accountSID}:${config.authToken}`)}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: formBody(config, message),
  };

  const first = await attempt(doFetch, url, init, timeoutMs);
  if (!first.retryable) return first.result;
  await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
  return (await attempt(doFetch, url, init, timeoutMs)).result;
}

function formBody(config: TwilioSettings, message: SmsMessage): string {
  const form = new URLSearchParams();
  form.set("To", message.to);
  // Twilio picks the sender from the service when one is given.
  if (config.messagingServiceSid) form.set("MessagingServiceSid", config.messagingServiceSid);
  else if (config.fromPhoneNumber) form.set("From", config.fromPhoneNumber);
  form.set("Body", message.body);
  const validity = message.validityPeriodSeconds;
  // Non-finite values are left out: Twilio's default is already the maximum.
  if (validity !== undefined && Number.isFinite(validity)) {
    const seconds = Math.min(MAX_VALIDITY, Math.max(MIN_VALIDITY, Math.round(validity)));
    form.set("ValidityPeriod", String(seconds));
  }
  return form.toString();
}

async function attempt(doFetch: typeof fetch, url: string, init: RequestInit, timeoutMs: number): Promise<Attempt> {
  const controller = new AbortController();
  // Racing the abort, not just signalling it, keeps the bound even if a fetch
  // implementation ignores the signal or the body stalls.
  const timedOut = new Promise<"timeout">((resolve) => {
    controller.signal.addEventListener("abort", () => resolve("timeout"));
  });
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const outcome = await Promise.race([exchange(doFetch, url, { ...init, signal: controller.signal }), timedOut]);
    if (outcome !== "timeout") return outcome;
    return failure(504, null, `Twilio did not answer within ${timeoutMs} ms`, true);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failure(0, null, `Could not reach Twilio: ${reason}`, true);
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Attempt> {
  const response = await doFetch(url, init);
  const status = response.status;
  const payload = parseJson(await response.text());

  if (status >= 200 && status < 300) {
    const sid = payload?.sid;
    if (typeof sid === "string" && sid !== "") return { result: { ok: true, sid }, retryable: false };
    // Not retried: Twilio may well have queued the message already.
    return failure(status, null, `Twilio answered HTTP ${status} without a message SID`, false);
  }

  const code = typeof payload?.code === "number" ? payload.code : null;
  const retryable = status === 429 || code === TOO_MANY_REQUESTS || status >= 500;
  if (code !== null && typeof payload?.message === "string") {
    return failure(status, code, payload.message, retryable);
  }
  return failure(status, null, `Twilio answered HTTP ${status}`, retryable);
}

function failure(status: number, code: number | null, message: string, retryable: boolean): Attempt {
  return { result: { ok: false, status, code, message }, retryable };
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

// btoa only takes Latin-1, so go through the UTF-8 bytes first.
function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
