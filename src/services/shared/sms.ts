// Texting a two-factor code: the toll-fraud guard and its limits (./sms-guard.ts), the Twilio call,
// and Twilio's answer turned into failures. Logs carry the message SID, never the code or the phone.
import { generalFailure } from "../../domain/failures";
import type { TwilioSettings } from "../../domain/integrations";
import { twilioConfig } from "../../kv/integrations";
import { sendSms } from "../../sms/twilio";
import { record } from "./metrics";
import { admitText, type TextRequest } from "./sms-guard";
import type { Scope } from "./scope";

/** The Twilio settings, or a clear 400 before any code is made. */
export async function requireTwilio(env: Env): Promise<TwilioSettings> {
  const twilio = await twilioConfig(env);
  if (!twilio) throw generalFailure("TwilioNotConfigured", "The Twilio integration is not enabled or is missing its account SID, auth token or sender.");
  return twilio;
}

export type Text = TextRequest & { code: string };

/**
 * Texts a code that was already made acceptable. When the text does not go out, `release` gives
 * back what was reserved for it; `withdrawCode` is true when the code surely never reached anyone
 * (after a timeout or a 5xx the text may still arrive, so the code stays acceptable). A text that
 * surely never went out also gives back its place in the limits, so the user can ask again as soon
 * as Twilio takes it.
 */
export async function textCode(scope: Scope, twilio: TwilioSettings, text: Text, release: (withdrawCode: boolean) => Promise<void>): Promise<void> {
  const { config } = scope;
  const {
    e164: to,
    country,
    giveBack,
  } = await admitText(scope, text).catch(async (error: unknown) => {
    await release(true);
    throw error;
  });
  const result = await sendSms(twilio, {
    to,
    body: config.sms.bodyTemplate.replaceAll("{code}", text.code),
    validityPeriodSeconds: config.sms.codeTtlSeconds,
  });
  record(scope, { event: "send", outcome: result.ok ? "sent" : "failed", method: "sms", country });
  if (!result.ok) {
    // A 4xx is Twilio's final no.
    const neverSent = result.status >= 400 && result.status < 500;
    await release(neverSent);
    if (neverSent) await giveBack();
    console.warn(JSON.stringify({ event: "sms.failed", status: result.status, twilioCode: result.code }));
    const reason = result.code ? `Twilio error ${result.code}: ${result.message}` : result.message;
    throw generalFailure("PushTwoFactorFailed", `Failed to send a verification code using the configured push service. ${reason}`);
  }
  console.log(JSON.stringify({ event: "sms.sent", sid: result.sid }));
}
