// The toll-fraud guard in front of every text (enrolment, user, login and resend sends all come
// through textCode): the destination is checked without any I/O (src/domain/sms-guard.ts), then the
// counts are asked (src/objects/phone-throttle.ts): the shard of the number's range (phone and range
// limits) and, when it admits the text, the budget object (overall, country and client). A refusal
// gives back what was taken, is logged as one JSON line (the country and the masked range, never the
// number) and is counted for the operators' report.
import { Failure, generalFailure, invalidField, tooManySends } from "../../domain/failures";
import {
  checkDestination,
  clientAllowance,
  maskedRange,
  purposeKind,
  SMS_LIMIT_REASONS,
  type NumberClass,
  type RefusalReason,
  type TextClient,
} from "../../domain/sms-guard";
import { countSend, giveBackSend, rangeThrottle, type Send } from "../../objects/phone-throttle";
import { readPhone } from "../../sms/phone";
import { emit } from "./events";
import { record } from "./metrics";
import type { Scope } from "./scope";

/** A text as the guard sees it. */
export type TextRequest = {
  phone: string;
  /** Names the phone in errors: `mobilePhone` or `user.mobilePhone`. */
  phoneField: string;
  /** What the text is for (`enrolment`, `user:<id>`, `login:<id>`): sends for one purpose are spaced. */
  purpose: string;
  /** Who asked for it, for the cap on texts per client (src/routes/http/client-ip.ts tells). */
  client: TextClient;
};

/** A refused text, as it is logged and counted: the range, never the number. */
export type Refusal = { reason: RefusalReason; country: string; range?: string; numberClass?: NumberClass };

/**
 * Lets a text go to `request.phone` and answers its E.164 form, its country, and how to give its
 * place back if Twilio surely never sent it (the phone's and range's counts; the hour's budgets keep
 * it); throws the refusal's Failure otherwise.
 */
export async function admitText(scope: Scope, request: TextRequest): Promise<{ e164: string; country: string; giveBack: () => Promise<void> }> {
  const { env, config, now: nowMs } = scope;
  const { guard } = config.sms;
  const destination = checkDestination(readPhone(request.phone, config.defaultPhoneRegion), guard);
  if (!destination.ok) {
    const { reason, country, range, numberClass } = destination;
    // Things that are not phone numbers have no range: their refusals are counted in one shard.
    await (await rangeThrottle(env, range ?? "")).countRefusal(country, reason, nowMs);
    throw refused(scope, request, { reason, country, range, numberClass });
  }
  const { e164, country, range } = destination;
  const send: Send = {
    channel: "sms",
    recipient: e164,
    group: range,
    bucket: country,
    purpose: request.purpose,
    nowMs,
    limits: {
      minIntervalSeconds: config.sms.minIntervalSeconds,
      maxPerRecipientPerHour: config.sms.maxPerPhonePerHour,
      maxPerGroupPerHour: guard.maxPerRangePerHour,
    },
  };
  const client = clientAllowance(request.client, guard);
  const permit = await countSend(env, send, client.key, {
    maxPerClientPerHour: client.maxPerHour,
    maxPerBucketPerHour: guard.maxPerCountryPerHour.byCountry[country] ?? guard.maxPerCountryPerHour.otherCountries,
    maxPerHour: guard.maxPerHour,
  });
  if (!permit.allowed) throw refused(scope, request, { reason: SMS_LIMIT_REASONS[permit.limit], country, range }, permit.retryAfterSeconds);
  return { e164, country, giveBack: () => giveBackSend(env, send) };
}

/**
 * The one place a refusal is reported: one `sms.refused` line (the purpose's kind, not the user),
 * and the Failure the caller answers with.
 */
function refused(scope: Scope, request: TextRequest, refusal: Refusal, retryAfterSeconds?: number): Failure {
  const { reason, country, range, numberClass } = refusal;
  const purpose = purposeKind(request.purpose);
  const masked = range && maskedRange(range);
  console.warn(JSON.stringify({ event: "sms.refused", reason, country, range: masked, numberClass, purpose }));
  record(scope, { event: "refusal", outcome: reason, method: "sms", country });
  // The same facts as the line for webhooks (never the number).
  emit(scope, { type: "sms.refused", info: { reason, country, purpose: purpose!, ...(masked && { range: masked }), ...(numberClass && { numberClass }) } });
  switch (reason) {
    case "invalid":
      return invalidField(request.phoneField, "invalid", `The [${request.phoneField}] is not a phone number.`);
    case "number-type":
      return generalFailure("PhoneNumberTypeNotAllowed", `Codes are not texted to ${numberClass} numbers.`);
    case "country":
      return generalFailure("PhoneCountryNotAllowed", `Codes are not texted to numbers in ${country}.`);
    default:
      return tooManySends(retryAfterSeconds!);
  }
}
