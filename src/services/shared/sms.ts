// Texting a two-factor code: phone normalisation, the per-phone rate limit, the Twilio call, and
// Twilio's answer turned into failures. Logs carry the message SID, never the code or the phone.
import type { Config } from "../../domain/config";
import { generalFailure, invalidField, tooManySends } from "../../domain/failures";
import { twilioConfig, type TwilioSettings } from "../../kv/integrations";
import { phoneThrottle } from "../../objects/phone-throttle";
import { sendSms } from "../../twilio/client";
import { normalizePhone } from "../../twilio/phone";

/** The Twilio settings, or a clear 400 before any code is made. */
export async function requireTwilio(env: Env): Promise<TwilioSettings> {
  const twilio = await twilioConfig(env);
  if (!twilio) throw generalFailure("TwilioNotConfigured", "The Twilio integration is not enabled or is missing its account SID, auth token or sender.");
  return twilio;
}

export type Text = {
  phone: string;
  /** Names the phone in errors: `mobilePhone` or `user.mobilePhone`. */
  phoneField: string;
  /** What the text is for (`enrolment`, `user:<id>`, `login:<id>`): sends for one purpose are spaced. */
  purpose: string;
  code: string;
};

/**
 * Texts a code that was already made acceptable. When the text does not go out, `release` gives
 * back what was reserved for it; `withdrawCode` is true when the code surely never reached anyone
 * (after a timeout or a 5xx the text may still arrive, so the code stays acceptable).
 */
export async function textCode(env: Env, config: Config, twilio: TwilioSettings, text: Text, release: (withdrawCode: boolean) => Promise<void>): Promise<void> {
  const to = normalizePhone(text.phone, config.defaultPhoneRegion);
  if (!to) {
    await release(true);
    throw invalidField(text.phoneField, "invalid", `The [${text.phoneField}] is not a phone number.`);
  }
  const permit = await (await phoneThrottle(env, to)).acquire(to, Date.now(), text.purpose);
  if (!permit.allowed) {
    await release(true);
    throw tooManySends(permit.retryAfterSeconds);
  }
  const result = await sendSms(twilio, {
    to,
    body: config.sms.bodyTemplate.replaceAll("{code}", text.code),
    validityPeriodSeconds: config.sms.codeTtlSeconds,
  });
  if (!result.ok) {
    // A 4xx is Twilio's final no.
    await release(result.status >= 400 && result.status < 500);
    console.warn(JSON.stringify({ event: "sms.failed", status: result.status, twilioCode: result.code }));
    const reason = result.code ? `Twilio error ${result.code}: ${result.message}` : result.message;
    throw generalFailure("PushTwoFactorFailed", `Failed to send a verification code using the configured push service. ${reason}`);
  }
  console.log(JSON.stringify({ event: "sms.sent", sid: result.sid }));
}
