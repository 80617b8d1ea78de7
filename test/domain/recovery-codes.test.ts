// Recovery codes (src/domain/recovery-codes.ts): FusionAuth 1.26's ten single-use codes, here
// 10 RFC 4648 Base32 characters (50 bits) each, typed in any case, width or grouping, kept only as
// a keyed hash bound to the user.
import { describe, expect, it } from "vitest";
import { hashRecoveryCodes, newRecoveryCodes, normalizeRecoveryCode, RECOVERY_CODE_COUNT, recoveryCodeHash } from "../../src/domain/recovery-codes";

const KEY = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const USER = "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0001";

describe("newRecoveryCodes", () => {
  it("gives ten codes of two groups of five Base32 characters, all different", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
  });

  it("uses every Base32 character in every position (the 50 bits are not biased toward a subset)", () => {
    const seen = Array.from({ length: 10 }, () => new Set<string>());
    for (let round = 0; round < 200; round++) {
      for (const code of newRecoveryCodes()) [...code.replace("-", "")].forEach((character, position) => seen[position]!.add(character));
    }
    // 2,000 draws per position: a missing character of 32 would have probability (31/32)^2000 ≈ 1e-28.
    for (const characters of seen) expect(characters.size).toBe(32);
  });
});

describe("normalizeRecoveryCode", () => {
  it.each([
    ["ABCDE-FGH23", "ABCDEFGH23"],
    ["abcde-fgh23", "ABCDEFGH23"],
    ["abcdefgh23", "ABCDEFGH23"],
    ["  ABCDE FGH23 ", "ABCDEFGH23"],
    ["ABCDE.FGH23", "ABCDEFGH23"],
    ["ABCDE_FGH23", "ABCDEFGH23"],
    ["ABCDE\u2013FGH23", "ABCDEFGH23"], // en dash, as word processors turn "-" into
    ["ＡＢＣＤＥ－ＦＧＨ２３", "ABCDEFGH23"], // fullwidth, as some phone keyboards type
  ])("reads %j as %s", (typed, stored) => {
    expect(normalizeRecoveryCode(typed)).toBe(stored);
  });

  it.each([
    ["a six-digit TOTP code", "123456"],
    ["a digit outside Base32 (0, 1, 8, 9)", "ABCDE-FGH21"],
    ["one character short", "ABCDE-FGH2"],
    ["one character long", "ABCDE-FGH234"],
    ["a letter outside ASCII", "ÀBCDE-FGH23"],
    ["nothing", ""],
  ])("refuses %s", (_what, typed) => {
    expect(normalizeRecoveryCode(typed)).toBeNull();
  });
});

describe("recoveryCodeHash", () => {
  it("is the same for every spelling of a code, and differs per user and per key", async () => {
    const hash = await recoveryCodeHash(KEY, USER, "ABCDEFGH23");
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await hashRecoveryCodes(KEY, USER, ["abcde fgh23", "ABCDE-FGH23"])).toEqual([hash, hash]);
    expect(await recoveryCodeHash(KEY, "7c0d6a8e-5d2f-4a8b-9a51-0c6f1f1f0002", "ABCDEFGH23")).not.toBe(hash);
    expect(await recoveryCodeHash(OTHER_KEY, USER, "ABCDEFGH23")).not.toBe(hash);
  });

  it("hashes a set only when every code in it is a recovery code", async () => {
    expect(await hashRecoveryCodes(KEY, USER, ["ABCDE-FGH23", "123456"])).toBeNull();
    expect(await hashRecoveryCodes(KEY, USER, [])).toEqual([]);
  });
});
