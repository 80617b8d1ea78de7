// Phone numbers as libphonenumber reads them. The "max" metadata is the one that knows number types
// (premium rate, shared cost, …) and which ranges are assigned: `getType()` needs it
// (https://gitlab.com/catamphetamine/libphonenumber-js#min-vs-max-vs-mobile-vs-core).
import { getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/max";
import type { PhoneFacts } from "../domain/sms-guard";

/**
 * What libphonenumber knows about `input`, read as a national number of `defaultRegion` (e.g. "US")
 * unless it is international; null only when it cannot be a phone number at all.
 *
 * Before parsing, every way of writing the same digits becomes one: compatibility forms (fullwidth
 * `１`, circled or mathematical digits) fold by Unicode NFKC, and the decimal digits of every other
 * script (Arabic-Indic `١`, Devanagari `१`, …: Unicode general category Nd) become ASCII. A leading
 * `00`, the international prefix of most of the world (ITU-T E.164 and E.123), counts as `+` when the
 * number would not otherwise be possible. Spaces, dashes, dots, slashes and parentheses are
 * libphonenumber's own concern. So every spelling of a number has one E.164 form, and the SMS limits
 * keyed on it cannot be sidestepped by formatting.
 *
 * "Possible" (a digit count the country uses) is the bar for a result; whether the range is
 * assigned is `valid`. An extension, if any, is dropped: SMS cannot be addressed to one.
 */
export function readPhone(input: string, defaultRegion: string): PhoneFacts | null {
  const region = defaultRegion.trim().toUpperCase();
  const digits = asciiDigits(input).trim();
  // extract: false makes the whole string count, so "call 555-555-5555 now" is refused instead of
  // silently mined for digits.
  const read = (text: string) => {
    const parsed = parsePhoneNumberFromString(text, { defaultCountry: isSupportedCountry(region) ? region : undefined, extract: false });
    return parsed?.isPossible() ? parsed : undefined;
  };
  const parsed = read(digits) ?? (digits.startsWith("00") ? read(`+${digits.slice(2)}`) : undefined);
  if (!parsed) return null;
  const callingCode = parsed.countryCallingCode;
  // A number libphonenumber cannot place (unassigned, e.g. FusionAuth's +1 555 555 5555) that shares
  // the default region's calling code is taken to be of that region.
  const home = isSupportedCountry(region) && getCountryCallingCode(region) === callingCode ? region : undefined;
  return { e164: parsed.number, callingCode, region: parsed.country ?? home, valid: parsed.isValid(), type: parsed.getType() };
}

/** `input` as E.164 ("+15555555555"), or null when it cannot be a phone number (see readPhone). */
export function normalizePhone(input: string, defaultRegion: string): string | null {
  return readPhone(input, defaultRegion)?.e164 ?? null;
}

/** A decimal digit other than ASCII's (those are already what libphonenumber reads, and most input is all ASCII). */
const OTHER_DECIMAL_DIGIT = /(?![0-9])\p{Nd}/gu;

/**
 * NFKC, then every remaining decimal digit as its ASCII digit. Unicode encodes each script's digits
 * as a run of ten consecutive code points from zero to nine (Unicode Standard §4.6, "Numeric Value"),
 * so a digit's value is its distance from the start of its run, modulo 10 for runs that adjoin.
 */
function asciiDigits(input: string): string {
  return input.normalize("NFKC").replace(OTHER_DECIMAL_DIGIT, (digit) => {
    const codePoint = digit.codePointAt(0)!;
    let start = codePoint;
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start -= 1;
    return String((codePoint - start) % 10);
  });
}
