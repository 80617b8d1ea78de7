// Property tests for the pure codecs and TOTP (src/domain): what test/domain/*.test.ts does not already
// cover with fixed vectors or fixed-length random loops — Base64URL decoding, Base32 as people type it,
// decoders that accept only what re-encodes to the same bytes, the ±1 step window at any time, and
// login ids' folding and skeletons for any text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEmailAddress, loginIdSkeleton } from "../../src/domain/login-id";
import { normalizeLoginId } from "../../src/domain/user";
import { decodeBase32, decodeBase64, decodeBase64Url, encodeBase32, encodeBase64, encodeBase64Url } from "../../src/domain/encoding";
import { timeStep } from "../../src/domain/totp";
import { findMatchingStep, hotp, totpCode } from "../../src/crypto/totp";
import { SEED } from "./support";

const bytes = fc.uint8Array({ maxLength: 300 });
const options = (numRuns: number) => ({ numRuns, seed: SEED });

describe("Base64URL", () => {
  it("decodes what it encodes, for any bytes", () => {
    fc.assert(
      fc.property(bytes, (data) => {
        expect(decodeBase64Url(encodeBase64Url(data))).toEqual(data);
      }),
      options(300),
    );
  });
});

describe("Base32 as people type it", () => {
  it("decodes any bytes' Base32 whatever its case, spaces and padding", () => {
    const typed = fc.tuple(bytes, fc.array(fc.boolean(), { maxLength: 500 }), fc.array(fc.nat(500), { maxLength: 6 }), fc.boolean());
    fc.assert(
      fc.property(typed, ([data, lower, spaces, padded]) => {
        let text = [...encodeBase32(data)].map((char, index) => (lower[index] ? char.toLowerCase() : char)).join("");
        for (const at of spaces) text = `${text.slice(0, at % (text.length + 1))} ${text.slice(at % (text.length + 1))}`;
        if (padded) text = text.padEnd(Math.ceil(text.length / 8) * 8, "=");
        expect(decodeBase32(text)).toEqual(data);
      }),
      options(300),
    );
  });
});

describe("decoders", () => {
  const over = (alphabet: string) => fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 40 });

  it("accept only text whose bytes re-encode to text that decodes to the same bytes", () => {
    const cases: Array<[fc.Arbitrary<string>, (text: string) => Uint8Array | null, (data: Uint8Array) => string]> = [
      [over("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ é\u0000"), decodeBase64, encodeBase64],
      [over("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= é"), decodeBase64Url, encodeBase64Url],
      [over("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz234567=0189 ı\u0000"), decodeBase32, encodeBase32],
    ];
    for (const [text, decode, encode] of cases) {
      fc.assert(
        fc.property(text, (input) => {
          const decoded = decode(input);
          if (decoded !== null) expect(decode(encode(decoded))).toEqual(decoded);
        }),
        options(500),
      );
    }
  });
});

describe("TOTP at any time", () => {
  // From two minutes after the epoch (so t − 90 s has a previous step) to past 2^32 steps (year ~6053).
  const moment = fc.integer({ min: 120_000, max: 2 ** 32 * 30_000 + 10_000_000 });
  const key = fc.uint8Array({ minLength: 10, maxLength: 64 });

  it("finds the code of time t at t, t − 30 s and t + 30 s, and not at t ± 90 s", async () => {
    await fc.assert(
      fc.asyncProperty(key, moment, async (secret, t) => {
        const code = await totpCode(secret, t);
        const step = timeStep(t);
        expect(await findMatchingStep(secret, code, t)).toBe(step);
        for (const offset of [-30_000, 30_000]) {
          const found = await findMatchingStep(secret, code, t + offset);
          // Another step in the window may share the code (one chance in a million); it must really match.
          expect(found === step || (found !== null && (await hotp(secret, found)) === code)).toBe(true);
        }
        for (const offset of [-90_000, 90_000]) {
          const now = timeStep(t + offset);
          const window = await Promise.all([now - 1, now, now + 1].map((candidate) => hotp(secret, candidate)));
          const found = await findMatchingStep(secret, code, t + offset);
          expect(found).not.toBe(step);
          expect(found !== null).toBe(window.includes(code));
        }
      }),
      options(200),
    );
  });
});

describe("login ids", () => {
  const text = fc.string({ unit: "binary", maxLength: 40 });
  const email = fc.tuple(text, fc.constantFrom("", ".", ". ", "..")).map(([local, end]) => `${local}@example.com${end}`);

  it("folds any text, an email's final dots included, to a form that folds to itself", () => {
    fc.assert(
      fc.property(fc.oneof(text, email), (id) => {
        expect(normalizeLoginId(normalizeLoginId(id))).toBe(normalizeLoginId(id));
      }),
      options(500),
    );
  });

  it("gives an ASCII id its folded form as skeleton, and any text a skeleton without throwing", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), text, email), (id) => {
        const skeleton = loginIdSkeleton(id);
        if (/^\p{ASCII}*$/u.test(normalizeLoginId(id))) expect(skeleton).toBe(normalizeLoginId(id));
        expect(typeof isEmailAddress(id)).toBe("boolean");
      }),
      options(500),
    );
  });
});
