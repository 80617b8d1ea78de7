// normalizeLoginId, the one form in which login ids are compared: NFKC (UAX #15) then lower case.
// Checked in workerd, whose ICU decides in production.
import { describe, expect, it } from "vitest";
import { normalizeLoginId, sameLoginId } from "../../src/domain/user";
import { loginIdName } from "../../src/crypto/login-id-name";

describe("normalizeLoginId", () => {
  it.each([
    ["fullwidth", "\uff55\uff53\uff45\uff52@example.com", "user@example.com"],
    ["composed and decomposed é", "jose\u0301@example.com", "jos\u00e9@example.com"],
    ["upper case", "JOS\u00c9@EXAMPLE.COM", "jos\u00e9@example.com"],
    ["ligature", "\ufb01le@example.com", "file@example.com"],
    ["Kelvin sign", "\u212aate", "kate"],
    ["mathematical bold", "\u{1d42e}\u{1d42c}\u{1d41e}\u{1d42b}", "user"],
    ["circled letters", "\u24b6\u24d1\u24d2", "abc"],
    ["surrounding white space, ideographic space included", " \u3000user@example.com\t", "user@example.com"],
    ["capital sharp s", "STRA\u1e9eE", "stra\u00dfe"],
    ["Greek final sigma stays final", "\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"],
  ])("maps %s to the same login id", (_label, variant, plain) => {
    expect(normalizeLoginId(variant)).toBe(normalizeLoginId(plain));
    expect(sameLoginId(variant, plain)).toBe(true);
  });

  it.each([
    ["ß and ss (full case folding would merge them)", "stra\u00dfe", "strasse"],
    ["dotless ı and i (Turkic folding would merge them)", "\u0131ris", "iris"],
    ["dotted İ and i (İ lower-cases to i + U+0307)", "\u0130ris", "iris"],
    ["final ς and σ (case folding would merge them)", "\u03bf\u03b4\u03bf\u03c2", "\u03bf\u03b4\u03bf\u03c3"],
    ["Cyrillic а and Latin a (confusables, UTS #39, are not mapped)", "\u0430dmin", "admin"],
  ])("keeps %s apart", (_label, a, b) => {
    expect(sameLoginId(a, b)).toBe(false);
  });

  it("gives every code point a form that is NFKC and normalises to itself (idempotent)", () => {
    const broken: string[] = [];
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      const once = normalizeLoginId(`a${String.fromCodePoint(codePoint)}b`);
      if (once !== once.normalize("NFKC") || normalizeLoginId(once) !== once) broken.push(codePoint.toString(16));
    }
    expect(broken).toEqual([]);
  });

  it("names lookalikes alike: the uniqueness claim and the KV index use one name", async () => {
    expect(await loginIdName("\uff55\uff53\uff45\uff52@EXAMPLE.com")).toBe(await loginIdName("user@example.com"));
    expect(await loginIdName("jose\u0301@example.com")).toBe(await loginIdName("JOS\u00c9@example.com"));
    expect(await loginIdName("strasse@example.com")).not.toBe(await loginIdName("stra\u00dfe@example.com"));
  });
});
