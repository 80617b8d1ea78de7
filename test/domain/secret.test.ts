import { describe, it, expect } from "vitest";
import { hotp as otplibHotp } from "otplib";
import { decodeBase64, encodeBase32 } from "../../src/domain/encoding";
import { MIN_SECRET_BYTES, describeKey, keyFromBase32, keyFromSecret, secretFrom } from "../../src/domain/secret";
import { newTotpSecret } from "../../src/crypto/random";
import { timeStep } from "../../src/domain/totp";
import { findMatchingStep, hotp, totpCode } from "../../src/crypto/totp";

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
const seconds = (value: number) => value * 1000;

function keyOf(secret: string): Uint8Array {
  const key = keyFromSecret(secret);
  if (key === null) throw new Error(`not a usable secret: ${secret}`);
  return key;
}

describe("newTotpSecret", () => {
  it("returns 20 standard Base64 characters that decode to a 15-byte key", () => {
    for (let i = 0; i < 100; i++) {
      const { secret } = newTotpSecret();
      expect(secret).toMatch(/^[A-Za-z0-9+/]{20}$/);
      expect(keyFromSecret(secret)).toHaveLength(15);
    }
  });

  it("returns the unpadded Base32 of the decoded key, which round-trips", () => {
    for (let i = 0; i < 100; i++) {
      const { secret, secretBase32Encoded } = newTotpSecret();
      const key = keyOf(secret);
      expect(secretBase32Encoded).toMatch(/^[A-Z2-7]{24}$/);
      expect(secretBase32Encoded).toBe(encodeBase32(key));
      expect(keyFromBase32(secretBase32Encoded)).toEqual(key);
    }
  });

  it("is described the same way by describeKey", () => {
    const generated = newTotpSecret();
    expect(describeKey(keyOf(generated.secret))).toEqual(generated);
  });

  it("returns 1000 distinct secrets", () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => newTotpSecret().secret));
    expect(secrets.size).toBe(1000);
  });
});

describe("secretFrom", () => {
  it("drops the first Base64 character of the random bytes and keeps twenty", () => {
    const random = Uint8Array.from({ length: 20 }, (_, index) => index);
    // Base64 of 00 01 02 … 13 is "AAECAwQFBgcICQoLDA0ODxAREhM="; the secret is characters 1–20.
    expect(secretFrom(random).secret).toBe("AECAwQFBgcICQoLDA0OD");
  });
});

describe("keyFromSecret", () => {
  it("Base64-decodes the secret", () => {
    expect(hex(keyOf("8MJJfCY4ERBtotvenSc3"))).toBe("f0c2497c263811106da2dbde9d2737");
  });

  it("accepts padded and unpadded secrets of at least 10 bytes", () => {
    expect(keyFromSecret("AAECAwQFBgcICQ==")).toEqual(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(keyFromSecret("AAECAwQFBgcICQ")).toEqual(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  });

  it("rejects secrets shorter than 10 bytes", () => {
    expect(MIN_SECRET_BYTES).toBe(10);
    expect(keyFromSecret("AAECAwQFBgcI")).toBeNull();
    expect(keyFromSecret("")).toBeNull();
  });

  it("rejects invalid Base64", () => {
    for (const secret of ["8MJJfCY4ERBtotvenSc!", "8MJJfCY4-RBtotvenSc3", "8MJJ fCY4ERBtotvenSc3", "8MJJfCY4ERBtotvenSc3="]) {
      expect(keyFromSecret(secret), secret).toBeNull();
    }
  });
});

describe("keyFromBase32", () => {
  it("Base32-decodes the secret, ignoring case, spaces and padding", () => {
    const key = "f0c2497c263811106da2dbde9d2737";
    expect(hex(keyFromBase32("6DBES7BGHAIRA3NC3PPJ2JZX")!)).toBe(key);
    expect(hex(keyFromBase32("6dbe s7bg hair a3nc 3ppj 2jzx")!)).toBe(key);
    expect(hex(keyFromBase32("6DBES7BGHAIRA3NC3PPJ2JZX=")!)).toBe(key);
  });

  it("rejects secrets shorter than 10 bytes", () => {
    expect(keyFromBase32("AAAAAAAAAAAAAAAA")).toHaveLength(10);
    expect(keyFromBase32("AAAAAAAAAAAAAAA")).toBeNull();
    expect(keyFromBase32("")).toBeNull();
  });

  it("rejects invalid Base32", () => {
    for (const secret of ["6DBES7BGHAIRA3NC3PPJ2JZ1", "6DBES7BGHAIRA3NC3PPJ2JZ8", "6DBES7BG-HAIRA3NC3PPJ2JZX", "6DBES7BGHAIRA3NC3PPJ2J"]) {
      expect(keyFromBase32(secret), secret).toBeNull();
    }
  });
});

describe("describeKey", () => {
  it("gives padded Base64 and unpadded Base32 of the key", () => {
    const key = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(describeKey(key)).toEqual({ secret: "AAECAwQFBgcICQ==", secretBase32Encoded: "AAAQEAYEAUDAOCAJ" });
  });

  it("round-trips through keyFromSecret and keyFromBase32", () => {
    for (let length = MIN_SECRET_BYTES; length <= 32; length++) {
      const key = crypto.getRandomValues(new Uint8Array(length));
      const { secret, secretBase32Encoded } = describeKey(key);
      expect(keyFromSecret(secret)).toEqual(key);
      expect(keyFromBase32(secretBase32Encoded)).toEqual(key);
    }
  });
});

describe("FusionAuth compatibility", () => {
  it("pairs real FusionAuth secrets with the Base32 of their Base64-decoded bytes", () => {
    const pairs: [string, string][] = [
      ["SP2m6K2Dg/x2JN9DyQvZ", "JD62N2FNQOB7Y5RE35B4SC6Z"],
      ["S847HD/Gl5zcCf79iI3T", "JPHDWHB7Y2LZZXAJ736YRDOT"],
      ["EgLthMnIgHaQot7sgloI", "CIBO3BGJZCAHNEFC33WIEWQI"],
      ["D90sYs5aPN51Z+ubdQt7", "B7OSYYWOLI6N45LH5ONXKC33"],
      ["ZlaRg5hfQ5/cF25tYHKU", "MZLJDA4YL5BZ7XAXNZWWA4UU"],
    ];
    for (const [secret, secretBase32Encoded] of pairs) {
      expect(describeKey(keyOf(secret))).toEqual({ secret, secretBase32Encoded });
      expect(keyFromBase32(secretBase32Encoded)).toEqual(keyOf(secret));
    }
  });

  it("differs from the Base32 of the secret's ASCII bytes shown in the FusionAuth docs", () => {
    const secret = "8MJJfCY4ERBtotvenSc3";
    expect(encodeBase32(new TextEncoder().encode(secret))).toBe("HBGUUSTGINMTIRKSIJ2G65DWMVXFGYZT");
    expect(describeKey(keyOf(secret)).secretBase32Encoded).toBe("6DBES7BGHAIRA3NC3PPJ2JZX");
  });

  it("computes the expected codes for 8MJJfCY4ERBtotvenSc3", async () => {
    const key = keyOf("8MJJfCY4ERBtotvenSc3");
    expect(await totpCode(key, seconds(59))).toBe("246022");
    expect(await totpCode(key, seconds(1111111109))).toBe("209157");
    expect(await totpCode(key, seconds(1617235200))).toBe("280598");
  });

  it("accepts the previous, current and next codes for 8MJJfCY4ERBtotvenSc3 at T=1617235200", async () => {
    const key = keyOf("8MJJfCY4ERBtotvenSc3");
    const nowMs = seconds(1617235200);
    const current = timeStep(nowMs);
    expect(await hotp(key, current - 1)).toBe("365957");
    expect(await hotp(key, current + 1)).toBe("815324");
    expect(await findMatchingStep(key, "365957", nowMs)).toBe(current - 1);
    expect(await findMatchingStep(key, "280598", nowMs)).toBe(current);
    expect(await findMatchingStep(key, "815324", nowMs)).toBe(current + 1);
  });

  it("computes the expected codes for SP2m6K2Dg/x2JN9DyQvZ", async () => {
    const key = keyOf("SP2m6K2Dg/x2JN9DyQvZ");
    expect(await totpCode(key, seconds(59))).toBe("669116");
    expect(await totpCode(key, seconds(1111111109))).toBe("507962");
    expect(await totpCode(key, seconds(1617235200))).toBe("319861");
  });

  it("gives different codes when the secret's ASCII bytes are used as the key", async () => {
    const secret = "8MJJfCY4ERBtotvenSc3";
    const asciiKey = new TextEncoder().encode(secret);
    expect(await totpCode(asciiKey, seconds(59))).toBe("938015");
    // otplib's default treats the secret as ASCII, which is the rule the docs example follows.
    expect(otplibHotp.generate(secret, 1)).toBe("938015");
    expect(await totpCode(keyOf(secret), seconds(59))).not.toBe("938015");
  });

  it("gives a generated secret a key that verifies its own current code", async () => {
    const { secret, secretBase32Encoded } = newTotpSecret();
    const nowMs = Date.now();
    const code = await totpCode(keyOf(secret), nowMs);
    expect(await findMatchingStep(keyFromBase32(secretBase32Encoded)!, code, nowMs)).toBe(timeStep(nowMs));
    expect(decodeBase64(secret)).toEqual(keyOf(secret));
  });
});
