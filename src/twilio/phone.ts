// The "min" metadata is the smallest bundle that still knows each region's
// possible number lengths, which is all we need to check.
import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js/min";

/**
 * Formats a phone number as E.164 ("+15555555555"), reading national numbers
 * in `defaultRegion` (e.g. "US"). Returns null only when the input cannot be a
 * phone number at all.
 *
 * Deliberately checks "possible" (digit count for the country) rather than
 * "valid" (assigned ranges): FusionAuth's own examples use 555-555-5555, and
 * Twilio's test numbers (+1500555xxxx) are not valid either. Whether a number
 * really reaches a handset is Twilio's call, not ours. An extension, if any,
 * is dropped since SMS cannot be addressed to one.
 */
export function normalizePhone(input: string, defaultRegion: string): string | null {
  const region = defaultRegion.trim().toUpperCase();
  // extract: false makes the whole string count, so "call 555-555-5555 now"
  // is refused instead of silently mined for digits.
  const parsed = parsePhoneNumberFromString(input.trim(), {
    defaultCountry: isSupportedCountry(region) ? region : undefined,
    extract: false,
  });
  return parsed?.isPossible() ? parsed.number : null;
}
