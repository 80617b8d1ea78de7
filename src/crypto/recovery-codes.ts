// Recovery codes (src/domain/recovery-codes.ts) made from the CSPRNG and kept only as "encrypted
// hashes" (OWASP Password Storage Cheat Sheet, Peppering): SHA-256 of the code bound to the user id,
// sealed with AES-GCM under ENCRYPTION_KEY, so a copy of the storage alone cannot be searched for the
// codes offline, a key rotation re-seals them, and an export can carry the hash without the key.
// Codes stored before were an HMAC-SHA256 under a key derived from ENCRYPTION_KEY; they still match
// under each key of the setting.
import { decodeBase64Url, encodeBase64, encodeBase64Url } from "../domain/encoding";
import { foldRecoveryCode, formatRecoveryCode, RECOVERY_CODE_COUNT, RECOVERY_CODE_RANDOM_BYTES, storedFormsOf } from "../domain/recovery-codes";
import { recoveryCodeContext } from "../domain/user";
import type { RecoveryCodeScheme } from "../domain/user-export";
import { sha256 } from "./compare";
import { sealedKeyId } from "../domain/key-rotation";
import { decrypt, encrypt, macKeys, userMac } from "./keyring";
import { randomBytes } from "./random";

/** The HKDF purpose of the HMAC keys of codes stored before they were sealed. */
const LEGACY_MAC_INFO = "legacy-two-factor: recovery codes";

/** A new set of codes, formatted for people (`7K2QD-M0XW9`). */
export const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, () => formatRecoveryCode(randomBytes(RECOVERY_CODE_RANDOM_BYTES)));

/** The inner hash of one spelling of a code of user `userId`: SHA-256 of `userId:form` (what an export carries). */
const innerHashOf = (userId: string, form: string): Promise<Uint8Array> => sha256(`${userId}:${form}`);

/** An inner hash sealed for user `userId`'s record: the stored form of a code. */
export const sealRecoveryHash = (setting: string | undefined, userId: string, hash: Uint8Array): Promise<string> =>
  encrypt(setting, hash, recoveryCodeContext(userId));

/** The inner hash a sealed entry holds; throws for a legacy HMAC entry or a setting without its key. */
export const openRecoveryHash = (setting: string | undefined, userId: string, entry: string): Promise<Uint8Array> =>
  decrypt(setting, entry, recoveryCodeContext(userId));

/** Whether a stored entry is a sealed hash (else a legacy HMAC, Base64URL). */
export const isSealedRecoveryHash = (entry: string): boolean => sealedKeyId(entry) !== null;

/** The stored forms to keep for `codes` (as typed or as generated); null when one of them is not a recovery code. */
export async function sealRecoveryCodes(setting: string | undefined, userId: string, codes: string[]): Promise<string[] | null> {
  const folded = codes.map(foldRecoveryCode);
  if (folded.some((code) => code === null)) return null;
  return Promise.all(folded.map(async (code) => sealRecoveryHash(setting, userId, await innerHashOf(userId, code!))));
}

/**
 * What a code typed as `input` is checked against, for every form it may be stored under (see
 * storedFormsOf): the inner hashes, and when `legacy` the HMACs under each key of the setting (so a
 * code stored before survives a key being prepended). Null when it cannot be a recovery code.
 */
export async function recoveryCodeCandidates(
  setting: string | undefined,
  userId: string,
  input: string,
  legacy: boolean,
): Promise<{ hashes: Uint8Array[]; macs: string[] } | null> {
  const folded = foldRecoveryCode(input);
  if (!folded) return null;
  const forms = storedFormsOf(folded);
  const hashes = await Promise.all(forms.map((form) => innerHashOf(userId, form)));
  if (!legacy) return { hashes, macs: [] };
  const macs = await Promise.all((await macKeys(setting, LEGACY_MAC_INFO)).flatMap((key) => forms.map((form) => userMac(key, userId, form))));
  return { hashes, macs };
}

/**
 * A user's stored entries as an export carries them (src/domain/user-export.ts): the sealed ones as
 * their inner hashes, else the HMACs of codes stored before; Base64 either way. Null when there are none.
 */
export async function exportedRecoveryCodes(
  setting: string | undefined,
  userId: string,
  entries: string[],
): Promise<{ scheme: RecoveryCodeScheme; codes: string[] } | null> {
  const sealed = entries.filter(isSealedRecoveryHash);
  if (sealed.length) {
    return {
      scheme: "recovery-code-sha256",
      codes: await Promise.all(sealed.map(async (entry) => encodeBase64(await openRecoveryHash(setting, userId, entry)))),
    };
  }
  return entries.length ? { scheme: "recovery-code-hmac-sha256", codes: entries.map((entry) => encodeBase64(decodeBase64Url(entry)!)) } : null;
}

/** The stored entries of hashes an import brings under `scheme` (32 bytes each): SHA-256 ones sealed, HMACs kept as they are. */
export const importedRecoveryCodes = (setting: string | undefined, userId: string, scheme: RecoveryCodeScheme, hashes: Uint8Array[]): Promise<string[]> =>
  Promise.all(hashes.map((hash) => (scheme === "recovery-code-sha256" ? sealRecoveryHash(setting, userId, hash) : encodeBase64Url(hash))));
