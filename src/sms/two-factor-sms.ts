// Texting a two-factor code: phone normalisation, the per-phone rate limit, the Twilio call, and
// Twilio's answer turned into FusionAuth errors. Logs carry the message SID, never the code.
import type { Config } from "../domain/config";
import { fieldError, generalError } from "../domain/errors";
import { phoneThrottle } from "../durable/phone-throttle";
import { twilioConfig } from "../storage/integrations";
import { normalizePhone } from "./phone";
import { sendSms } from "./twilio";

export function tooManySends(retryAfterSeconds: number) {
  return generalError("TooManyRequests", `Too many codes were sent. Try again in ${retryAfterSeconds} seconds.`, 429, {
    "Retry-After": String(retryAfterSeconds),
  });
}

export type SmsRequest = {
  phone: string;
  /** Names the phone in errors: `mobilePhone` or `user.mobilePhone`. */
  phoneField: string;
  /** What the text is for (`enrolment`, `user:<id>`, `login:<twoFactorId>`): sends for one purpose are spaced. */
  purpose: string;
};

/** A code made acceptable for the SMS window, and how to withdraw it if the text never went out. */
export type TextedCode = { code: string; forget(): Promise<void> };

/**
 * Texts the code `makeCode` produces. The code is made only once the send is allowed, and withdrawn
 * when Twilio refuses the message, so a text that never went out leaves no acceptable code behind.
 */
export async function textCode(env: Env, config: Config, { phone, phoneField, purpose }: SmsRequest, makeCode: () => Promise<TextedCode>): Promise<void> {
  const to = normalizePhone(phone, config.defaultPhoneRegion);
  if (!to) throw fieldError(phoneField, "invalid", `The [${phoneField}] is not a phone number.`);
  const twilio = await twilioConfig(env);
  if (!twilio) throw generalError("TwilioNotConfigured", "The Twilio integration is not enabled or is missing its account SID, auth token or sender.");
  const permit = await phoneThrottle(env, to).acquire(Date.now(), purpose);
  if (!permit.allowed) throw tooManySends(permit.retryAfterSeconds);
  const { code, forget } = await makeCode();
  const result = await sendSms(twilio, {
    to,
    body: config.sms.bodyTemplate.replaceAll("{code}", code),
    validityPeriodSeconds: config.sms.codeTtlSeconds,
  });
  if (!result.ok) {
    // A 4xx is Twilio's final no. After a timeout or a 5xx the text may still arrive: keep the code.
    if (result.status >= 400 && result.status < 500) await forget();
    console.warn(JSON.stringify({ event: "sms.failed", status: result.status, twilioCode: result.code }));
    const reason = result.code ? `Twilio error ${result.code}: ${result.message}` : result.message;
    throw generalError("PushTwoFactorFailed", `Failed to send a verification code using the configured push service. ${reason}`);
  }
  console.log(JSON.stringify({ event: "sms.sent", sid: result.sid }));
}
