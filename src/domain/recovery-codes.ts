// Recovery codes, FusionAuth's shape (1.26+, https://fusionauth.io/docs/apis/two-factor): ten
// single-use codes that stand in for the second factor when the phone is lost. Each is 10 Base32
// characters (RFC 4648 §6), 50 bits from the CSPRNG, shown as two groups of five. Only a keyed
// hash is kept (HMAC-SHA256 under a key derived from ENCRYPTION_KEY, bound to the user id), so a
// copy of the storage alone cannot be searched for the codes offline.
import { deriveKey } from "./crypto";
import { encodeBase32, encodeBase64Url, randomBytes } from "./encoding";

export const RECOVERY_CODE_COUNT = 10;

const CODE_CHARACTERS = 10;
const BASE32_CODE = /^[A-Z2-7]{10}$/;
/** What people type between or around the groups: spaces, dashes, dots, underscores. */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212._]/g;

/** A new set of codes, formatted for people (`ABCDE-FGH23`). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 7 bytes = 56 bits → 12 Base32 characters; the first 10 carry 50 uniformly random bits.
    const code = encodeBase32(randomBytes(7)).slice(0, CODE_CHARACTERS);
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/** The code as stored: case, width and separators ignored; null when it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.normalize("NFKC").replace(SEPARATORS, "").toUpperCase();
  return BASE32_CODE.test(code) ? code : null;
}

const keys = new Map<string, Promise<CryptoKey>>();

function hashKey(setting: string | undefined): Promise<CryptoKey> {
  const cacheKey = setting ?? "";
  let key = keys.get(cacheKey);
  if (!key) {
    key = deriveKey(setting, "legacy-two-factor: recovery codes", { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]);
    keys.set(cacheKey, key);
  }
  return key;
}

/** The stored form of a normalized code of user `userId` (HMAC-SHA256, Base64URL). */
export async function recoveryCodeHash(setting: string | undefined, userId: string, normalized: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hashKey(setting), new TextEncoder().encode(`${userId}:${normalized}`));
  return encodeBase64Url(new Uint8Array(mac));
}

/** The stored forms of `codes` (as typed or as generated); null when one of them is not a recovery code. */
export async function hashRecoveryCodes(setting: string | undefined, userId: string, codes: string[]): Promise<string[] | null> {
  const normalized = codes.map(normalizeRecoveryCode);
  if (normalized.some((code) => code === null)) return null;
  return Promise.all(normalized.map((code) => recoveryCodeHash(setting, userId, code!)));
}
