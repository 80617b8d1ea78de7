import { describe, expect, it } from "vitest";
import { normalizeEmail } from "../../src/domain/email-address";

describe("email addresses", () => {
  it("keeps the local part as typed and lower-cases the domain", () => {
    expect(normalizeEmail("  Jane.Doe+2fa@Example.COM ")).toBe("Jane.Doe+2fa@example.com");
    expect(normalizeEmail("jörg@bücher.example")).toBe("jörg@bücher.example");
  });

  it("refuses what no mail server takes", () => {
    for (const raw of [
      "",
      "jane",
      "@example.com",
      "jane@",
      "jane@localhost",
      "jane doe@example.com",
      "jane@exa mple.com",
      "<jane@example.com>",
      "jane@example.com\r\nBcc: x@evil.example",
      "jane@-example.com",
      "jane@example..com",
      `${"a".repeat(65)}@example.com`,
      `jane@${"a".repeat(250)}.com`,
    ]) {
      expect(normalizeEmail(raw), JSON.stringify(raw)).toBeNull();
    }
  });
});
