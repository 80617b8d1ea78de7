// Recovery codes made and kept (src/crypto/recovery-codes.ts): ten codes from the CSPRNG, kept only
// as keyed hashes bound to the user; codes issued in RFC 4648's alphabet before still match.
import { describe, expect, it } from "vitest";
import { derivedKey } from "../../src/crypto/keyring";
import { hashRecoveryCodes, newRecoveryCodes, recoveryCodeHashes } from "../../src/crypto/recovery-codes";
import { encodeBase64Url } from "../../src/domain/encoding";
import { RECOVERY_CODE_COUNT } from "../../src/domain/recovery-codes";

const KEY = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const USER = "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0001";

/** The stored form of a code issued before the folding: the HMAC of its RFC 4648 spelling. */
async function earlierHash(key: string, userId: string, code: string): Promise<string> {
  const mac = await derivedKey(key, "legacy-two-factor: recovery codes", { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]);
  return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", mac, new TextEncoder().encode(`${userId}:${code}`))));
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

describe("recovery code hashes", () => {
  it("are the same for every spelling of a code, and differ per user and per key", async () => {
    const [hash] = (await hashRecoveryCodes(KEY, USER, ["7K2QD-M0XW9"]))!;
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await hashRecoveryCodes(KEY, USER, ["7k2qd mOxw9", "7K2QDM0XW9"])).toEqual([hash, hash]);
    expect(await recoveryCodeHashes(KEY, USER, "7K2QD-MOXW9")).toContain(hash);
    expect(await recoveryCodeHashes(KEY, "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0002", "7K2QD-M0XW9")).not.toContain(hash);
    expect(await recoveryCodeHashes(OTHER_KEY, USER, "7K2QD-M0XW9")).not.toContain(hash);
  });

  it("match a code issued in RFC 4648's alphabet however its L, I and O are typed", async () => {
    const stored = await earlierHash(KEY, USER, "QLZXOF7VAC");
    for (const typed of ["QLZXO-F7VAC", "Q1ZX0-F7VAC", "qlzx0 f7vac"]) expect(await recoveryCodeHashes(KEY, USER, typed)).toContain(stored);
    expect(await recoveryCodeHashes(KEY, USER, "QLZXO-F7VAD")).not.toContain(stored);
  });

  it("are made for a set only when every code in it is a recovery code", async () => {
    expect(await hashRecoveryCodes(KEY, USER, ["7K2QD-M0XW9", "123456"])).toBeNull();
    expect(await hashRecoveryCodes(KEY, USER, [])).toEqual([]);
    expect(await recoveryCodeHashes(KEY, USER, "123456")).toBeNull();
  });
});
