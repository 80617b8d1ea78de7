// PBKDF2-HMAC-SHA256 password hashes in FusionAuth's `salted-pbkdf2-hmac-sha256` scheme (src/domain/password.ts).
import { decodeBase64, encodeBase64 } from "../domain/encoding";
import { PBKDF2_SCHEME, type PasswordHash } from "../domain/password";
import { secretsEqual } from "./compare";
import { randomBytes } from "./random";

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
