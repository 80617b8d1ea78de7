import { describe, expect, it } from "vitest";
import { randomBytes, randomToken } from "../../src/crypto/random";

describe("randomBytes", () => {
  it("returns the requested number of bytes", () => {
    for (const length of [0, 1, 15, 20, 64]) expect(randomBytes(length)).toHaveLength(length);
  });

  it("returns different bytes on each call", () => {
    expect(randomBytes(32)).not.toEqual(randomBytes(32));
  });
});

describe("randomToken", () => {
  it("is Base64URL without padding: 43 characters for 32 bytes", () => {
    expect(randomToken(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
