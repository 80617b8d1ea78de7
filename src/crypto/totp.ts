// HOTP (RFC 4226 §5.3) and TOTP (RFC 6238) codes with Web Crypto's HMAC-SHA-1.
import { CODE_DIGITS, CODE_PATTERN, stepsAround, timeStep } from "../domain/totp";
import { timingSafeEqual } from "./compare";

/** A TOTP secret as its raw bytes, or imported once with `importTotpKey` by a caller that checks many codes. */
export type TotpKey = Uint8Array | CryptoKey;

export function importTotpKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
}

const hmacKeyOf = (key: TotpKey): CryptoKey | Promise<CryptoKey> => (key instanceof CryptoKey ? key : importTotpKey(key));

async function codeAt(hmacKey: CryptoKey, counter: number, digits: number): Promise<string> {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`invalid HOTP counter: ${counter}`);
  // Split into two 32-bit halves: bitwise operators would truncate counters past 2^32.
  const message = new DataView(new ArrayBuffer(8));
  message.setUint32(0, Math.floor(counter / 2 ** 32));
  message.setUint32(4, counter % 2 ** 32);
  const mac = new DataView(await crypto.subtle.sign("HMAC", hmacKey, message));
  const offset = mac.getUint8(mac.byteLength - 1) & 0x0f;
  const binary = mac.getUint32(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

export async function hotp(key: TotpKey, counter: number, digits = CODE_DIGITS): Promise<string> {
  return codeAt(await hmacKeyOf(key), counter, digits);
}

/** The code an authenticator shows at `nowMs`. */
export function totpCode(key: TotpKey, nowMs: number): Promise<string> {
  return hotp(key, timeStep(nowMs));
}

/**
 * The first step of `steps` whose code is `code`, or null. Every candidate is computed and compared,
 * even after a match, so timing does not reveal which step matched.
 */
export async function findMatchingStepIn(key: TotpKey, code: string, steps: number[]): Promise<number | null> {
  if (!CODE_PATTERN.test(code)) return null;
  const hmacKey = await hmacKeyOf(key);
  const candidates = await Promise.all(steps.map((step) => codeAt(hmacKey, step, CODE_DIGITS)));
  let match: number | null = null;
  for (let i = 0; i < steps.length; i++) {
    if (timingSafeEqual(candidates[i]!, code) && match === null) match = steps[i]!;
  }
  return match;
}

/** The step `code` belongs to within ±`window` steps of `nowMs` (RFC 6238 §5.2), or null. */
export function findMatchingStep(key: TotpKey, code: string, nowMs: number, window = 1): Promise<number | null> {
  return findMatchingStepIn(key, code, stepsAround(nowMs, window));
}
