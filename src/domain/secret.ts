// TOTP secrets as FusionAuth shows them: `secret` (Base64 of the key) and `secretBase32Encoded`
// (what authenticator apps take).
import { decodeBase32, decodeBase64, encodeBase32, encodeBase64 } from "./encoding";

export const MIN_SECRET_BYTES = 10;

/** How many random bytes a new secret is made from (see `secretFrom`). */
export const SECRET_RANDOM_BYTES = 20;

// Mirrors FusionAuth: Base64 of 20 random bytes, minus its first character,
// cut to 20 characters. The key is that text Base64-decoded (15 bytes), not its
// ASCII bytes, so codes match what FusionAuth itself would verify.
export function secretFrom(random: Uint8Array): { secret: string; secretBase32Encoded: string } {
  const secret = encodeBase64(random).slice(1, 21);
  // Twenty Base64 characters always decode to exactly 15 bytes.
  const key = decodeBase64(secret)!;
  return { secret, secretBase32Encoded: encodeBase32(key) };
}

export function keyFromSecret(secret: string): Uint8Array | null {
  return longEnough(decodeBase64(secret));
}

export function keyFromBase32(secretBase32Encoded: string): Uint8Array | null {
  return longEnough(decodeBase32(secretBase32Encoded));
}

export function describeKey(key: Uint8Array): { secret: string; secretBase32Encoded: string } {
  return { secret: encodeBase64(key), secretBase32Encoded: encodeBase32(key) };
}

function longEnough(key: Uint8Array | null): Uint8Array | null {
  return key !== null && key.length >= MIN_SECRET_BYTES ? key : null;
}
