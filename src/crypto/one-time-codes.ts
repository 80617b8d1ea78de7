// One-time codes (sent to a phone or an address, or given to Start) are kept only as keyed hashes:
// HMAC-SHA256 under a key derived from ENCRYPTION_KEY, bound to the user id. They live minutes, so
// a rotation need not re-seal them: a code made under a key since demoted is checked under it.
import { timingSafeEqual } from "./compare";
import { macKeys, userMac } from "./keyring";

/**
 * The stored form of one-time code `code` of user `userId` (Base64URL) under the current key; or
 * `stored`, when given and the code matches it under another key of the setting (a code sent just
 * before a key was prepended still counts).
 */
export async function oneTimeCodeHash(setting: string | undefined, userId: string, code: string, stored?: string): Promise<string> {
  const [current, ...others] = await macKeys(setting, "legacy-two-factor: one-time codes");
  const hash = await userMac(current!, userId, code.trim());
  if (stored === undefined || hash === stored) return hash;
  for (const key of others) if (timingSafeEqual(await userMac(key, userId, code.trim()), stored)) return stored;
  return hash;
}
