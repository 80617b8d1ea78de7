// FusionAuth's `salted-pbkdf2-hmac-sha256` scheme, so hashes imported from FusionAuth verify
// unchanged: hash = Base64(PBKDF2-HMAC-SHA256(UTF-8 password, Base64Decode(salt), factor, 256 bits)).
import { decodeBase64, encodeBase64, randomBytes } from "./encoding";
import { secretsEqual } from "./compare";

export const PBKDF2_SCHEME = "salted-pbkdf2-hmac-sha256";
/** Production workerd refuses PBKDF2 above this; local workerd does not, so we enforce it ourselves. */
export const MAX_PBKDF2_FACTOR = 100_000;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordHash = { encryptionScheme: typeof PBKDF2_SCHEME; factor: number; salt: string; hash: string };

export async function hashPassword(password: string, factor: number, salt = encodeBase64(randomBytes(32))): Promise<PasswordHash> {
  return { encryptionScheme: PBKDF2_SCHEME, factor, salt, hash: await pbkdf2(password, salt, factor) };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const actual = await pbkdf2(password, stored.salt, stored.factor);
  return secretsEqual(actual, stored.hash);
}

async function pbkdf2(password: string, salt: string, factor: number): Promise<string> {
  const saltBytes = decodeBase64(salt);
  if (!saltBytes) throw new Error("stored password salt is not Base64");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: saltBytes, iterations: factor }, key, 256);
  return encodeBase64(new Uint8Array(bits));
}

/** Verified against when the login id is unknown, so both failures cost one hash. */
export function dummyPasswordHash(factor: number): PasswordHash {
  return {
    encryptionScheme: PBKDF2_SCHEME,
    factor,
    salt: "c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",
    hash: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  };
}
