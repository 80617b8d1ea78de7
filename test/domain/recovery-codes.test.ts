// Recovery codes' shape (src/domain/recovery-codes.ts): Crockford Base32, typed in any case, width
// or grouping, lookalike letters read as the digits they resemble; earlier RFC 4648 codes still named.
import { describe, expect, it } from "vitest";
import { foldRecoveryCode, formatRecoveryCode, storedFormsOf } from "../../src/domain/recovery-codes";

describe("formatRecoveryCode", () => {
  it("reads the first 50 of 56 random bits as ten Crockford Base32 characters in two groups", () => {
    expect(formatRecoveryCode(new Uint8Array(7))).toBe("00000-00000");
    expect(formatRecoveryCode(new Uint8Array(7).fill(0xff))).toBe("ZZZZZ-ZZZZZ");
    // 00001 00010 00011 … 01010 (1, 2, 3, … 10) and six unused zero bits
    expect(formatRecoveryCode(Uint8Array.from([0x08, 0x86, 0x42, 0x98, 0xe8, 0x4a, 0x80]))).toBe("12345-6789A");
  });

  it("never uses I, L, O or U", () => {
    for (let byte = 0; byte < 256; byte++) expect(formatRecoveryCode(new Uint8Array(7).fill(byte))).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });
});

describe("foldRecoveryCode", () => {
  it.each([
    ["7K2QD-M0XW9", "7K2QDM0XW9"],
    ["7k2qd-m0xw9", "7K2QDM0XW9"],
    ["  7K2QD M0XW9 ", "7K2QDM0XW9"],
    ["7K2QD.M0XW9", "7K2QDM0XW9"],
    ["7K2QD_M0XW9", "7K2QDM0XW9"],
    ["7K2QD\u2013M0XW9", "7K2QDM0XW9"], // en dash, as word processors turn "-" into
    ["７Ｋ２ＱＤ－Ｍ０ＸＷ９", "7K2QDM0XW9"], // fullwidth, as some phone keyboards type
    ["7K2QD-MOXW9", "7K2QDM0XW9"], // O for 0
    ["QLZXO-F7VAC", "Q1ZX0F7VAC"], // an earlier code: L and O read as 1 and 0
    ["Q1ZX0-F7VAC", "Q1ZX0F7VAC"],
    ["qizxo-f7vac", "Q1ZX0F7VAC"],
  ])("reads %j as %s", (typed, folded) => {
    expect(foldRecoveryCode(typed)).toBe(folded);
  });

  it.each([
    ["a six-digit TOTP code", "123456"],
    ["one character short", "7K2QD-M0XW"],
    ["one character long", "7K2QD-M0XW99"],
    ["a letter outside ASCII", "ÀK2QD-M0XW9"],
    ["a symbol", "7K2QD-M0XW*"],
    ["nothing", ""],
  ])("refuses %s", (_what, typed) => {
    expect(foldRecoveryCode(typed)).toBeNull();
  });
});

describe("storedFormsOf", () => {
  it("names the folded form and every RFC 4648 spelling an earlier code may have had", () => {
    expect(storedFormsOf("Q1ZX0F7VAC").sort()).toEqual(["Q1ZX0F7VAC", "QIZXOF7VAC", "QLZXOF7VAC"].sort());
  });

  it("names no earlier spelling for what RFC 4648 cannot spell (8, 9)", () => {
    expect(storedFormsOf("7K2QDM0XW9")).toEqual(["7K2QDM0XW9"]);
  });

  it("tries every I/L choice for up to four 1s, and all-I or all-L beyond", () => {
    expect(storedFormsOf("1111AAAAAA")).toHaveLength(1 + 16);
    expect(storedFormsOf("11111AAAAA").sort()).toEqual(["11111AAAAA", "IIIIIAAAAA", "LLLLLAAAAA"].sort());
  });
});
