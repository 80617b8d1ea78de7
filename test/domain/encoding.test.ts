import { describe, it, expect } from "vitest";
import { decodeBase32, decodeBase64, encodeBase32, encodeBase64, encodeBase64Url } from "../../src/domain/encoding";
import { randomBytes } from "../../src/crypto/random";

const ascii = (text: string) => new TextEncoder().encode(text);

// Independent reference: the platform's forgiving-base64 codec.
const btoaBytes = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

function atobBytes(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

function randomString(alphabet: string, length: number): string {
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
}

// RFC 4648 section 10.
const RFC4648_VECTORS: [string, string, string][] = [
  ["", "", ""],
  ["f", "Zg==", "MY"],
  ["fo", "Zm8=", "MZXQ"],
  ["foo", "Zm9v", "MZXW6"],
  ["foob", "Zm9vYg==", "MZXW6YQ"],
  ["fooba", "Zm9vYmE=", "MZXW6YTB"],
  ["foobar", "Zm9vYmFy", "MZXW6YTBOI"],
];

describe("encodeBase64", () => {
  it("matches the RFC 4648 test vectors with padding", () => {
    for (const [plain, base64] of RFC4648_VECTORS) expect(encodeBase64(ascii(plain))).toBe(base64);
  });

  it("uses the standard alphabet for the top byte values", () => {
    expect(encodeBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe("+/+/");
  });

  it("agrees with btoa for random byte arrays of length 0 to 64", () => {
    for (let length = 0; length <= 64; length++) {
      for (let i = 0; i < 10; i++) {
        const bytes = randomBytes(length);
        expect(encodeBase64(bytes)).toBe(btoaBytes(bytes));
      }
    }
  });
});

describe("decodeBase64", () => {
  it("decodes the RFC 4648 test vectors with and without padding", () => {
    for (const [plain, base64] of RFC4648_VECTORS) {
      expect(decodeBase64(base64)).toEqual(ascii(plain));
      expect(decodeBase64(base64.replace(/=+$/, ""))).toEqual(ascii(plain));
    }
  });

  it("round-trips random byte arrays of length 0 to 64, padded or not", () => {
    for (let length = 0; length <= 64; length++) {
      for (let i = 0; i < 10; i++) {
        const bytes = randomBytes(length);
        const text = encodeBase64(bytes);
        expect(decodeBase64(text)).toEqual(bytes);
        expect(decodeBase64(text.replace(/=+$/, ""))).toEqual(bytes);
      }
    }
  });

  it("rejects invalid characters", () => {
    for (const text of ["Zm9v!", "Zm9-", "Zm9_", "Zm 9v", "Zm9v\n", " Zm9v", "Zm9vé", "Ｚm9v", "Zm\u00009v"]) {
      expect(decodeBase64(text), JSON.stringify(text)).toBeNull();
    }
  });

  it("rejects impossible lengths and misplaced or incomplete padding", () => {
    for (const text of ["Z", "Zm9vY", "Z===", "Zg=", "Zg===", "Zm8==", "=", "==", "=Zg=", "Z=g=", "Zg==Zg==", "Zm9v="]) {
      expect(decodeBase64(text), JSON.stringify(text)).toBeNull();
    }
  });

  it("agrees with atob on random strings over the Base64 alphabet and padding", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/====";
    for (let i = 0; i < 3000; i++) {
      const text = randomString(alphabet, i % 13);
      expect(decodeBase64(text), JSON.stringify(text)).toEqual(atobBytes(text));
    }
  });

  it("never throws on arbitrary strings", () => {
    const alphabet = "AZaz09+/=-_ \t\n.!é€\u0000\ud83d\ude00";
    for (let i = 0; i < 2000; i++) {
      const result = decodeBase64(randomString(alphabet, i % 17));
      expect(result === null || result instanceof Uint8Array).toBe(true);
    }
  });
});

describe("encodeBase64Url", () => {
  it("uses the URL-safe alphabet without padding", () => {
    expect(encodeBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(encodeBase64Url(ascii("f"))).toBe("Zg");
  });

  it("equals standard Base64 with the alphabet swapped and padding removed", () => {
    for (let length = 0; length <= 64; length++) {
      const bytes = randomBytes(length);
      const expected = btoaBytes(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      expect(encodeBase64Url(bytes)).toBe(expected);
    }
  });
});

describe("encodeBase32", () => {
  it("matches the RFC 4648 test vectors without padding", () => {
    for (const [plain, , base32] of RFC4648_VECTORS) expect(encodeBase32(ascii(plain))).toBe(base32);
  });

  it("only produces the RFC 4648 alphabet with no padding", () => {
    for (let length = 0; length <= 64; length++) {
      const text = encodeBase32(randomBytes(length));
      expect(text).toMatch(/^[A-Z2-7]*$/);
      expect(text.length).toBe(Math.ceil((length * 8) / 5));
    }
  });
});

describe("decodeBase32", () => {
  it("decodes the RFC 4648 test vectors with and without padding", () => {
    for (const [plain, , base32] of RFC4648_VECTORS) {
      const padded = base32.padEnd(Math.ceil(base32.length / 8) * 8, "=");
      expect(decodeBase32(base32)).toEqual(ascii(plain));
      expect(decodeBase32(padded)).toEqual(ascii(plain));
    }
  });

  it("is case-insensitive and ignores spaces", () => {
    expect(decodeBase32("mzxw6ytboi")).toEqual(ascii("foobar"));
    expect(decodeBase32("MzXw 6yTb oI")).toEqual(ascii("foobar"));
    expect(decodeBase32(" MZXW 6YTB OI== ")).toEqual(ascii("foobar"));
  });

  it("round-trips random byte arrays of length 0 to 64", () => {
    for (let length = 0; length <= 64; length++) {
      for (let i = 0; i < 10; i++) {
        const bytes = randomBytes(length);
        const text = encodeBase32(bytes);
        expect(decodeBase32(text)).toEqual(bytes);
        expect(decodeBase32(text.toLowerCase())).toEqual(bytes);
      }
    }
  });

  it("rejects invalid characters", () => {
    for (const text of ["MZXW1", "MZXW8", "MZXW0", "MZXW6YQ!", "MZ=XW6", "=MZXW6", "MZXW\t6", "MZXW\n6", "MZXWı", "MZXWſ", "ＭZXW6"]) {
      expect(decodeBase32(text), JSON.stringify(text)).toBeNull();
    }
  });

  it("rejects lengths that no byte string encodes to", () => {
    for (const text of ["M", "MZX", "MZXW6Y", "MZXW6YTBO"]) {
      expect(decodeBase32(text), text).toBeNull();
    }
  });

  it("never throws on arbitrary strings", () => {
    const alphabet = "AZaz27190= \t.!é€\u0000\ud83d\ude00";
    for (let i = 0; i < 2000; i++) {
      const result = decodeBase32(randomString(alphabet, i % 19));
      expect(result === null || result instanceof Uint8Array).toBe(true);
    }
  });
});
