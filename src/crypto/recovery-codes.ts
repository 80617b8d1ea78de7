// Recovery codes (src/domain/recovery-codes.ts) made from the CSPRNG and kept only as keyed hashes:
// HMAC-SHA256 under a key derived from ENCRYPTION_KEY, bound to the user id, so a copy of the
// storage alone cannot be searched for the codes offline.
import { encodeBase64Url } from "../domain/encoding";
import { foldRecoveryCode, formatRecoveryCode, RECOVERY_CODE_COUNT, RECOVERY_CODE_RANDOM_BYTES, storedFormsOf } from "../domain/recovery-codes";
import { macKey } from "./keyring";
import { randomBytes } from "./random";

/** A new set of codes, formatted for people (`7K2QD-M0XW9`). */
export const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, () => formatRecoveryCode(randomBytes(RECOVERY_CODE_RANDOM_BYTES)));

/** The stored form of one spelling of a code of user `userId` (HMAC-SHA256, Base64URL). */
async function hashOf(setting: string | undefined, userId: string, form: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await macKey(setting, "legacy-two-factor: recovery codes"), new TextEncoder().encode(`${userId}:${form}`));
  return encodeBase64Url(new Uint8Array(mac));
}

/** The hashes a code typed as `input` may be stored under (see storedFormsOf); null when it cannot be a recovery code. */
export async function recoveryCodeHashes(setting: string | undefined, userId: string, input: string): Promise<string[] | null> {
  const folded = foldRecoveryCode(input);
  return folded ? Promise.all(storedFormsOf(folded).map((form) => hashOf(setting, userId, form))) : null;
}

/** The hashes to keep for `codes` (as typed or as generated); null when one of them is not a recovery code. */
export async function hashRecoveryCodes(setting: string | undefined, userId: string, codes: string[]): Promise<string[] | null> {
  const folded = codes.map(foldRecoveryCode);
  if (folded.some((code) => code === null)) return null;
  return Promise.all(folded.map((code) => hashOf(setting, userId, code!)));
}
