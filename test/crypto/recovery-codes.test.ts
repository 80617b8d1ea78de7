// Recovery codes made and kept (src/crypto/recovery-codes.ts): ten codes from the CSPRNG, kept only
// as sealed hashes bound to the user (SHA-256, then AES-GCM under ENCRYPTION_KEY); codes issued in
// RFC 4648's alphabet before, and entries stored as HMACs before, still match.
import { describe, expect, it } from "vitest";
import { derivedKey } from "../../src/crypto/keyring";
import { sealedKeyId } from "../../src/domain/key-rotation";
import { isSealedRecoveryHash, newRecoveryCodes, openRecoveryHash, recoveryCodeCandidates, sealRecoveryCodes } from "../../src/crypto/recovery-codes";
import { encodeBase64Url } from "../../src/domain/encoding";
import { RECOVERY_CODE_COUNT } from "../../src/domain/recovery-codes";

const KEY = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const USER = "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0001";

/** The stored form of a code before codes were sealed: the HMAC of a spelling under the setting's first key. */
async function earlierHash(key: string, userId: string, code: string): Promise<string> {
  const mac = await derivedKey(key, "legacy-two-factor: recovery codes", { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]);
  return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", mac, new TextEncoder().encode(`${userId}:${code}`))));
}

const sha256 = async (text: string) => new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));

/** Whether the code typed as `typed` matches the stored `entry` (what src/objects/user/secret-cache.ts decides). */
async function matches(setting: string, userId: string, typed: string, entry: string): Promise<boolean> {
  const candidates = (await recoveryCodeCandidates(setting, userId, typed, !isSealedRecoveryHash(entry)))!;
  if (!isSealedRecoveryHash(entry)) return candidates.macs.includes(entry);
  const opened = await openRecoveryHash(setting, userId, entry).catch(() => null);
  return opened !== null && candidates.hashes.some((hash) => hash.every((byte, index) => byte === opened[index]));
}

describe("newRecoveryCodes", () => {
  it("gives ten codes of two groups of five Crockford Base32 characters, all different", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
  });

  it("uses every character of the alphabet in every position (the 50 bits are not biased toward a subset)", () => {
    const seen = Array.from({ length: 10 }, () => new Set<string>());
    for (let round = 0; round < 200; round++) {
      for (const code of newRecoveryCodes()) [...code.replace("-", "")].forEach((character, position) => seen[position]!.add(character));
    }
    // 2,000 draws per position: a missing character of 32 would have probability (31/32)^2000 ≈ 1e-28.
    for (const characters of seen) expect(characters.size).toBe(32);
  });
});

describe("sealed recovery codes", () => {
  it("are stored as SHA-256 of `userId:code` sealed under the current key, a new ciphertext each time", async () => {
    const [first, second] = (await sealRecoveryCodes(KEY, USER, ["7K2QD-M0XW9", "7k2qd mOxw9"]))!;
    expect(sealedKeyId(first!)).toBe("k1");
    expect(first).not.toBe(second);
    expect(await openRecoveryHash(KEY, USER, first!)).toEqual(await sha256(`${USER}:7K2QDM0XW9`));
    expect(await openRecoveryHash(KEY, USER, second!)).toEqual(await sha256(`${USER}:7K2QDM0XW9`));
    await expect(openRecoveryHash(KEY, "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0002", first!)).rejects.toThrow(); // bound to the user
  });

  it("match every spelling of the code, for that user only, under a setting that still holds their key", async () => {
    const [entry] = (await sealRecoveryCodes(KEY, USER, ["7K2QD-M0XW9"]))!;
    for (const typed of ["7K2QD-MOXW9", "7k2qd m0xw9", "7K2QDM0XW9"]) expect(await matches(KEY, USER, typed, entry!)).toBe(true);
    expect(await matches(KEY, USER, "7K2QD-M0XW8", entry!)).toBe(false);
    expect(await matches(`${OTHER_KEY},${KEY}`, USER, "7K2QD-M0XW9", entry!)).toBe(true);
    expect(await matches(OTHER_KEY, USER, "7K2QD-M0XW9", entry!)).toBe(false);
  });
});

describe("recovery codes stored as HMACs before", () => {
  it("match every spelling, per user, under each key of the setting: also after a new key is prepended", async () => {
    const stored = await earlierHash(KEY, USER, "7K2QDM0XW9");
    expect(isSealedRecoveryHash(stored)).toBe(false);
    expect(await matches(KEY, USER, "7k2qd-moxw9", stored)).toBe(true);
    expect(await matches(`${OTHER_KEY},${KEY}`, USER, "7K2QD-M0XW9", stored)).toBe(true);
    expect(await matches(OTHER_KEY, USER, "7K2QD-M0XW9", stored)).toBe(false);
    expect(await matches(KEY, "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0002", "7K2QD-M0XW9", stored)).toBe(false);
  });

  it("match a code issued in RFC 4648's alphabet however its L, I and O are typed", async () => {
    const stored = await earlierHash(KEY, USER, "QLZXOF7VAC");
    for (const typed of ["QLZXO-F7VAC", "Q1ZX0-F7VAC", "qlzx0 f7vac"]) expect(await matches(KEY, USER, typed, stored)).toBe(true);
    expect(await matches(KEY, USER, "QLZXO-F7VAD", stored)).toBe(false);
  });

  it("are not computed when every stored entry is sealed", async () => {
    expect((await recoveryCodeCandidates(KEY, USER, "7K2QD-M0XW9", false))!.macs).toEqual([]);
  });
});

describe("recovery code sets", () => {
  it("are sealed only when every code in it is a recovery code", async () => {
    expect(await sealRecoveryCodes(KEY, USER, ["7K2QD-M0XW9", "123456"])).toBeNull();
    expect(await sealRecoveryCodes(KEY, USER, [])).toEqual([]);
    expect(await recoveryCodeCandidates(KEY, USER, "123456", true)).toBeNull();
  });
});
