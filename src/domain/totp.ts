export const TOTP_PERIOD_SECONDS = 30;

const CODE_DIGITS = 6;
const CODE_PATTERN = /^[0-9]{6}$/;

export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / (1000 * TOTP_PERIOD_SECONDS));
}

/** When time step `step` begins (ms): from then on an authenticator shows its code. */
export const stepStart = (step: number): number => step * 1000 * TOTP_PERIOD_SECONDS;

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

export function totpCode(key: Uint8Array, nowMs: number): Promise<string> {
  return hotp(key, timeStep(nowMs));
}

// The length check may exit early because code length is public; the content
// comparison always visits every character so timing does not reveal where
// the first difference is.
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

// Every candidate is computed and compared, even after a match, so timing does
// not reveal which step matched. The first matching step in `steps` wins.
export async function findMatchingStepIn(key: TotpKey, code: string, steps: number[]): Promise<number | null> {
  if (!CODE_PATTERN.test(code)) return null;
  const hmacKey = await hmacKeyOf(key);
  const candidates = await Promise.all(steps.map((step) => codeAt(hmacKey, step, CODE_DIGITS)));
  let match: number | null = null;
  for (let i = 0; i < steps.length; i++) {
    const equal = constantTimeEqual(candidates[i]!, code);
    if (equal && match === null) match = steps[i]!;
  }
  return match;
}

// Steps are ordered nearest-first so the current step wins the rare case of
// two steps sharing a code; steps before the epoch do not exist.
export function findMatchingStep(key: Uint8Array, code: string, nowMs: number, window = 1): Promise<number | null> {
  const current = timeStep(nowMs);
  const steps = [current];
  for (let distance = 1; distance <= window; distance++) steps.push(current - distance, current + distance);
  return findMatchingStepIn(
    key,
    code,
    steps.filter((step) => step >= 0),
  );
}
