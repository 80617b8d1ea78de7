import { describe, expect, it } from "vitest";
import { secretsEqual, sha256Hex, timingSafeEqual } from "../../src/crypto/compare";

describe("timingSafeEqual", () => {
  it("reports equality of equal strings and bytes", () => {
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("123456", "123456")).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
  });

  it("reports a difference at any position", () => {
    for (let i = 0; i < 6; i++) {
      const other = "123456".slice(0, i) + "9" + "123456".slice(i + 1);
      expect(timingSafeEqual("123456", other)).toBe(false);
    }
  });

  it("reports different lengths as unequal", () => {
    expect(timingSafeEqual("123456", "12345")).toBe(false);
    expect(timingSafeEqual("12345", "123456")).toBe(false);
  });

  it("compares UTF-8 bytes, not UTF-16 units", () => {
    expect(timingSafeEqual("é", "e\u0301")).toBe(false);
    expect(timingSafeEqual("ü", "ü")).toBe(true);
  });
});

describe("secretsEqual", () => {
  it("is true only for the same secret, whatever the lengths", async () => {
    expect(await secretsEqual("api-key-1", "api-key-1")).toBe(true);
    expect(await secretsEqual("api-key-1", "api-key-2")).toBe(false);
    expect(await secretsEqual("api-key", "api-key-longer")).toBe(false);
    expect(await secretsEqual(new TextEncoder().encode("abc"), "abc")).toBe(true);
  });
});

describe("sha256Hex", () => {
  it("gives the FIPS 180-2 digest of abc", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
