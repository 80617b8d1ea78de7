// One-time codes (sent to a phone or an address, or given to Start) are kept only as keyed hashes:
// HMAC-SHA256 under a key derived from ENCRYPTION_KEY, bound to the user id, as recovery codes are.
import { encodeBase64Url } from "../domain/encoding";
import { timingSafeEqual } from "./compare";
import { macKeys } from "./keyring";

const encoder = new TextEncoder();

/**
 * The stored form of one-time code `code` of user `userId` (Base64URL) under the current key; or
 * `stored`, when given and the code matches it under another key of the setting (a code sent just
 * before a key was prepended still counts).
 */
export async function oneTimeCodeHash(setting: string | undefined, userId: string, code: string, stored?: string): Promise<string> {
  const message = encoder.encode(`${userId}:${code.trim()}`);
  const [current, ...others] = await macKeys(setting, "legacy-two-factor: one-time codes");
  const hashOf = async (key: CryptoKey) => encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)));
  const hash = await hashOf(current!);
  if (stored === undefined || hash === stored) return hash;
  for (const key of others) if (timingSafeEqual(await hashOf(key), stored)) return stored;
  return hash;
}
