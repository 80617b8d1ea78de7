// FusionAuth's salted-pbkdf2-hmac-sha256 scheme: hash = Base64(PBKDF2-HMAC-SHA256(UTF-8
// password, Base64Decode(salt), factor, 256 bits)). The known vector below was computed independently
// with Python:
//   python3 -c "import hashlib,base64;print(base64.b64encode(hashlib.pbkdf2_hmac('sha256',b'password',
//     base64.b64decode('c2VjcmV0LXNhbHQtZm9yLXRlc3RzLTEyMzQ1Ng=='),24000)).decode())"
import { describe, expect, it } from "vitest";
import { MAX_PBKDF2_FACTOR, PBKDF2_SCHEME } from "../../src/domain/password";
import { hashPassword, verifyPassword } from "../../src/crypto/password";

const VECTOR = {
  encryptionScheme: "salted-pbkdf2-hmac-sha256" as const,
  factor: 24_000,
  salt: "c2VjcmV0LXNhbHQtZm9yLXRlc3RzLTEyMzQ1Ng==",
  hash: "BqZlxQkFw9rFOpSq5wlqvbbbMAlVSKO7bAxJ447/vqc=",
};

describe("hashPassword and verifyPassword", () => {
  it("verifies a password against its own hash", async () => {
    const stored = await hashPassword("correct horse battery", 1000);
    expect(stored).toMatchObject({ encryptionScheme: PBKDF2_SCHEME, factor: 1000 });
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
  });

  it("rejects a wrong password", async () => {
    const stored = await hashPassword("correct horse battery", 1000);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash differently", async () => {
    const [first, second] = await Promise.all([hashPassword("same password", 1000), hashPassword("same password", 1000)]);
    expect(first.salt).not.toBe(second.salt);
    expect(first.hash).not.toBe(second.hash);
  });

  it("verifies a FusionAuth-format hash computed independently", async () => {
    expect(await verifyPassword("password", VECTOR)).toBe(true);
    expect(await verifyPassword("Password", VECTOR)).toBe(false);
  });

  it("reproduces the independent hash from the same salt and factor", async () => {
    expect(await hashPassword("password", 24_000, VECTOR.salt)).toEqual(VECTOR);
  });

  it("depends on the factor", async () => {
    expect(await verifyPassword("password", { ...VECTOR, factor: 23_999 })).toBe(false);
  });

  it("hashes non-ASCII passwords as UTF-8", async () => {
    const stored = await hashPassword("pässwörd-日本", 1000);
    expect(await verifyPassword("pässwörd-日本", stored)).toBe(true);
    expect(await verifyPassword("passwoerd-日本", stored)).toBe(false);
  });

  it("caps the PBKDF2 factor at 100,000, the most production workerd allows", () => {
    expect(MAX_PBKDF2_FACTOR).toBe(100_000);
  });
});
