// FusionAuth's `salted-pbkdf2-hmac-sha256` scheme, so hashes imported from FusionAuth verify
// unchanged: hash = Base64(PBKDF2-HMAC-SHA256(UTF-8 password, Base64Decode(salt), factor, 256 bits)).
// The hashing itself is src/crypto/password.ts.
export const PBKDF2_SCHEME = "salted-pbkdf2-hmac-sha256";
/** Production workerd refuses PBKDF2 above this; local workerd does not, so we enforce it ourselves. */
export const MAX_PBKDF2_FACTOR = 100_000;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;

export type PasswordHash = { encryptionScheme: typeof PBKDF2_SCHEME; factor: number; salt: string; hash: string };

/** Verified against when the login id is unknown, so both failures cost one hash. */
export function dummyPasswordHash(factor: number): PasswordHash {
  return {
    encryptionScheme: PBKDF2_SCHEME,
    factor,
    salt: "c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHQ=",
    hash: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  };
}
