// The one constant-time comparison, for every place a secret meets input (API keys, password
// hashes, TOTP codes). Web Crypto's timingSafeEqual (workerd) visits every byte.
const encoder = new TextEncoder();

/** Whether `a` and `b` are equal, in time that depends only on their length (public for codes and digests). */
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const left = typeof a === "string" ? encoder.encode(a) : a;
  const right = typeof b === "string" ? encoder.encode(b) : b;
  return left.byteLength === right.byteLength && crypto.subtle.timingSafeEqual(left, right);
}

/** Equality of secrets of any length: both are hashed first, so neither their length nor their content shows in the timing. */
export async function secretsEqual(a: string | Uint8Array, b: string | Uint8Array): Promise<boolean> {
  const [da, db] = await Promise.all([sha256(a), sha256(b)]);
  return timingSafeEqual(da, db);
}

export async function sha256(value: string | Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", typeof value === "string" ? encoder.encode(value) : value));
}

export async function sha256Hex(value: string): Promise<string> {
  return Array.from(await sha256(value), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
