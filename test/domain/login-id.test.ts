// normalizeLoginId, the one form in which login ids are compared: NFKC (UAX #15), lower case, an
// email's final dot; the confusable skeletons (UTS #39) login ids beyond ASCII are also claimed
// under; what an email address is. Checked in workerd, whose ICU decides in production.
import { describe, expect, it } from "vitest";
import { CONFUSABLES, CONFUSABLES_VERSION } from "../../src/domain/confusables";
import { isEmailAddress, loginIdSkeleton } from "../../src/domain/login-id";
import { normalizeLoginId, sameLoginId } from "../../src/domain/user";
import { loginIdClaimNames, loginIdName } from "../../src/crypto/login-id-name";

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
    ["an email's final dot (a fully qualified domain)", "user@example.com.", "user@example.com"],
    ["an email's final dot after white space", "USER@EXAMPLE.COM. ", "user@example.com"],
  ])("maps %s to the same login id", (_label, variant, plain) => {
    expect(normalizeLoginId(variant)).toBe(normalizeLoginId(plain));
    expect(sameLoginId(variant, plain)).toBe(true);
  });

  it.each([
    ["ß and ss (full case folding would merge them)", "stra\u00dfe", "strasse"],
    ["dotless ı and i (Turkic folding would merge them)", "\u0131ris", "iris"],
    ["dotted İ and i (İ lower-cases to i + U+0307)", "\u0130ris", "iris"],
    ["final ς and σ (case folding would merge them)", "\u03bf\u03b4\u03bf\u03c2", "\u03bf\u03b4\u03bf\u03c3"],
    ["Cyrillic а and Latin a (confusables are caught by their skeletons, not folded)", "\u0430dmin", "admin"],
    ["a username's final dot (only an email's is a domain's)", "john.", "john"],
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

describe("loginIdSkeleton", () => {
  it.each([
    ["Cyrillic а in a Latin email", "p\u0430ypal@example.com", "paypal@example.com"],
    ["Cyrillic о and е", "g\u043e\u043egl\u0435@example.com", "google@example.com"],
    ["Greek ο and Cyrillic і", "r\u03bfb\u0456n", "robin"],
    ["the dotless ı", "\u0131ris", "iris"],
    ["a Latin alpha", "p\u0251ypal", "paypal"],
    ["a caseless Lisu letter whose prototype is upper case", "\ua4eedmin", "admin"],
    ["upper-case Cyrillic, folded first", "P\u0410YPAL@EXAMPLE.COM.", "paypal@example.com"],
    ["a domain in Cyrillic", "user@\u0435x\u0430mpl\u0435.com", "user@example.com"],
  ])("maps %s onto the ASCII id it imitates", (_label, lookalike, ascii) => {
    expect(loginIdSkeleton(lookalike)).toBe(ascii);
    expect(loginIdSkeleton(ascii)).toBe(ascii);
  });

  it("gives two lookalikes in different scripts one skeleton", () => {
    expect(loginIdSkeleton("p\u0430ypal")).toBe(loginIdSkeleton("p\u0251ypal"));
    expect(loginIdSkeleton("\u0440\u0430\u0443\u0440\u0430l")).toBe("paypal");
  });

  it.each([
    ["rn and m", "modern@example.com", "modem@example.com"],
    ["1 and l", "user1", "userl"],
    ["0 and O", "b0b", "bob"],
    ["vv and w", "vvhite", "white"],
  ])("keeps pure-ASCII ids as they are: %s stay apart, as they always have", (_label, a, b) => {
    expect(loginIdSkeleton(a)).toBe(normalizeLoginId(a));
    expect(loginIdSkeleton(a)).not.toBe(loginIdSkeleton(b));
  });

  it.each([
    ["an accent", "jos\u00e9", "jose"],
    ["ß and ss", "stra\u00dfe", "strasse"],
    ["CJK", "\u4e2d\u6587", "zhongwen"],
  ])("keeps ids apart that do not look alike: %s", (_label, a, b) => {
    expect(loginIdSkeleton(a)).not.toBe(loginIdSkeleton(b));
  });

  it("is the folded id itself when nothing in it is confusable, composed as the folded id is", () => {
    for (const id of ["jos\u00e9@example.com", "jose\u0301@EXAMPLE.com", "\u4e2d\u6587", "stra\u00dfe"]) expect(loginIdSkeleton(id)).toBe(normalizeLoginId(id));
  });

  it("claims an ASCII id under its one name, and a lookalike under its own and the ASCII id's", async () => {
    expect(await loginIdClaimNames("Paypal@Example.com")).toEqual([await loginIdName("paypal@example.com")]);
    expect(await loginIdClaimNames("p\u0430ypal@example.com")).toEqual([await loginIdName("p\u0430ypal@example.com"), await loginIdName("paypal@example.com")]);
  });

  it("reads every mapping of Unicode's data: one character beyond ASCII, a space, its prototype", () => {
    expect(CONFUSABLES_VERSION).toBe("17.0.0");
    const lines = CONFUSABLES.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(2000);
    for (const line of lines) expect(line, line).toMatch(/^\P{ASCII} ./su);
  });
});

describe("isEmailAddress", () => {
  it.each([
    "user@example.com",
    "first.last+tag@sub.example.co.uk",
    "o'leary@example.ie",
    "x_y-z!#$%&*/=?^`{|}~@example.com",
    "user@example.com.",
    "1234@123.example",
    "jos\u00e9@example.com",
    "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
    "user@xn--bcher-kva.example",
    "user@b\u00fccher.example",
    "\uff55\uff53\uff45\uff52@example.com",
    `${"a".repeat(64)}@example.com`,
    `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`,
  ])("accepts %s", (email) => {
    expect(isEmailAddress(email)).toBe(true);
  });

  it.each([
    "<img/src=x/onerror=alert(1)>@x.io",
    "\uff1cimg\uff1e@x.io",
    "plain",
    "@example.com",
    "user@",
    "user@localhost",
    "a@b@example.com",
    ".user@example.com",
    "user.@example.com",
    "us..er@example.com",
    '"quoted"@example.com',
    '"a b"@example.com',
    "a b@example.com",
    "user@exa mple.com",
    "user@[192.0.2.1]",
    "user@-example.com",
    "user@example-.com",
    "user@exa_mple.com",
    "user@example..com",
    "user@example.com..",
    "a,b@example.com",
    "a;b@example.com",
    "a:b@example.com",
    "a\\b@example.com",
    "a(b)@example.com",
    "a\u200bb@example.com",
    "a\u202eb@example.com",
    `${"a".repeat(65)}@example.com`,
    `user@${"b".repeat(64)}.com`,
    `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`,
  ])("refuses %s", (email) => {
    expect(isEmailAddress(email)).toBe(false);
  });
});
