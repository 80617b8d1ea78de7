// The email limits' pure parts: the one spelling an address and its domain are counted under, and the
// masked address logs and events show instead of the address.
import { describe, expect, it } from "vitest";
import { EMAIL_LIMIT_REASONS, emailRecipient, maskedAddress } from "../../src/domain/email-guard";
import { purposeKind } from "../../src/domain/sms-guard";

describe("emailRecipient", () => {
  it("counts every spelling of one mailbox as one address, in its domain", () => {
    for (const spelling of [
      "jo.doe@example.com",
      "Jo.Doe@Example.COM",
      " jo.doe@example.com ",
      "jo.doe@example.com.",
      "jo.doe+codes@example.com",
      "JO.DOE+a+b@example.com",
      "ｊｏ.ｄｏｅ@ｅｘａｍｐｌｅ.ｃｏｍ",
    ])
      expect(emailRecipient(spelling), spelling).toEqual({ address: "jo.doe@example.com", domain: "example.com" });
  });

  it("counts an internationalised domain in its ASCII form, however it is written", () => {
    expect(emailRecipient("anna@bücher.de")).toEqual({ address: "anna@xn--bcher-kva.de", domain: "xn--bcher-kva.de" });
    expect(emailRecipient("anna@XN--BCHER-KVA.de")).toEqual({ address: "anna@xn--bcher-kva.de", domain: "xn--bcher-kva.de" });
    expect(emailRecipient("anna@BÜCHER.de").domain).toBe("xn--bcher-kva.de");
  });

  it("keeps addresses that differ in more than case and subaddress apart", () => {
    expect(emailRecipient("jo.doe@example.com").address).not.toBe(emailRecipient("jodoe@example.com").address);
    expect(emailRecipient("jo@example.com").address).not.toBe(emailRecipient("jo@example.org").address);
    expect(emailRecipient("jo@mail.example.com").domain).toBe("mail.example.com");
  });
});

describe("maskedAddress", () => {
  it("keeps the domain and at most the local part's first character", () => {
    expect(maskedAddress("jo.doe@example.com")).toBe("j•••@example.com");
    expect(maskedAddress("ab@example.com")).toBe("a•••@example.com");
    expect(maskedAddress("émile@example.fr")).toBe("é•••@example.fr");
    // A first character outside the BMP is kept whole, not as half a surrogate pair.
    expect(maskedAddress("😀x@example.com")).toBe("😀•••@example.com");
  });

  it("shows nothing of a local part of one character, which would be all of it", () => {
    expect(maskedAddress("j@example.com")).toBe("•••@example.com");
    expect(maskedAddress("😀@example.com")).toBe("•••@example.com");
    expect(maskedAddress("@example.com")).toBe("•••@example.com");
  });

  it("never holds the address, whatever its length", () => {
    for (const local of ["ab", "abc", "jo.doe", "a".repeat(64)]) {
      const masked = maskedAddress(`${local}@example.com`);
      expect(masked).not.toContain(`${local}@`);
      expect(masked.replace("•••", "")).not.toContain(local);
    }
    expect(maskedAddress("no-at-sign")).toBe("•••");
  });
});

describe("refusal names", () => {
  it("names each count's refusal for email, the bucket's as the budget (emails count in one bucket)", () => {
    expect(EMAIL_LIMIT_REASONS).toEqual({ recipient: "address", group: "domain", client: "ip", bucket: "budget", budget: "budget" });
  });

  it("logs the kind of a purpose, never the user or login it names", () => {
    expect(purposeKind("enable:0b8d1b7e-4f3a-4c1e-9a55-2d6f0c7e9b11")).toBe("enable");
    expect(purposeKind("user:0b8d1b7e-4f3a-4c1e-9a55-2d6f0c7e9b11")).toBe("user");
    expect(purposeKind("login:abc")).toBe("login");
  });
});
