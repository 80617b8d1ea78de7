// One-time codes (sent to a phone or an address, or given to Start) are kept only as keyed hashes:
// HMAC-SHA256 under a key derived from ENCRYPTION_KEY, bound to the user id, as recovery codes are.
import { encodeBase64Url } from "../domain/encoding";
import { macKey } from "./keyring";

/** The stored form of one-time code `code` of user `userId` (Base64URL). */
export async function oneTimeCodeHash(setting: string | undefined, userId: string, code: string): Promise<string> {
  const key = await macKey(setting, "legacy-two-factor: one-time codes");
  return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${userId}:${code.trim()}`))));
}
