// The twoFactorId: 8 random bytes R, the user id encrypted, and an 8-byte tag over R and the user id.
// Opening one gives back the user and R; anything that is not the canonical Base64URL of 32 bytes, or
// whose tag does not match (any altered byte, a random id, an id sealed under another key), opens to null.
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "../../src/domain/encoding";
import { newChallengeKey, openTwoFactorId, sealTwoFactorId } from "../../src/crypto/two-factor-id";

const KEY = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY = "k1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const USER_ID = "00000000-0000-4000-8000-000000000abc";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("twoFactorId", () => {
  it("opens to the user and challenge key it was sealed with, and starts with the challenge key's bytes", async () => {
    const challengeKey = newChallengeKey();
    const id = await sealTwoFactorId(KEY, USER_ID, challengeKey);
    expect(id).toHaveLength(43);
    expect(decodeBase64Url(id)!.subarray(0, 8)).toEqual(decodeBase64Url(challengeKey));
    expect(await openTwoFactorId(KEY, id)).toEqual({ userId: USER_ID, challengeKey });
  });

  it("opens only the canonical spelling: a last character whose 2 unused bits are set names the same bytes and opens to null", async () => {
    const id = await sealTwoFactorId(KEY, USER_ID, newChallengeKey());
    const last = ALPHABET.indexOf(id.at(-1)!);
    const spellings = [1, 2, 3].map((bits) => id.slice(0, -1) + ALPHABET[last | bits]);
    for (const spelling of spellings) {
      expect(decodeBase64Url(spelling)).toEqual(decodeBase64Url(id));
      expect(await openTwoFactorId(KEY, spelling)).toBeNull();
    }
  });

  it("opens to null for other lengths, other alphabets and padding", async () => {
    const id = await sealTwoFactorId(KEY, USER_ID, newChallengeKey());
    const bytes = decodeBase64Url(id)!;
    const standardAlphabet = id.replaceAll("-", "+").replaceAll("_", "/");
    const candidates = [id.slice(0, -1), `${id}A`, `${id}=`, encodeBase64Url(bytes.subarray(0, 31)), encodeBase64Url(new Uint8Array([...bytes, 0])), ""];
    if (standardAlphabet !== id) candidates.push(standardAlphabet);
    for (const candidate of candidates) expect(await openTwoFactorId(KEY, candidate)).toBeNull();
  });

  it("opens to null when any bit of any byte is changed", async () => {
    const bytes = decodeBase64Url(await sealTwoFactorId(KEY, USER_ID, newChallengeKey()))!;
    for (let position = 0; position < bytes.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const altered = bytes.slice();
        altered[position]! ^= 1 << bit;
        expect(await openTwoFactorId(KEY, encodeBase64Url(altered)), `byte ${position}, bit ${bit}`).toBeNull();
      }
    }
  });

  it("opens none of 1,000 random ids, nor an id sealed under another key", async () => {
    for (let i = 0; i < 1000; i++) expect(await openTwoFactorId(KEY, encodeBase64Url(crypto.getRandomValues(new Uint8Array(32))))).toBeNull();
    expect(await openTwoFactorId(KEY, await sealTwoFactorId(OTHER_KEY, USER_ID, newChallengeKey()))).toBeNull();
  });

  it("gives the same user id a different encrypted block under each challenge key", async () => {
    const ids = await Promise.all(Array.from({ length: 100 }, () => sealTwoFactorId(KEY, USER_ID, newChallengeKey())));
    expect(new Set(ids.map((id) => encodeBase64Url(decodeBase64Url(id)!.subarray(8, 24)))).size).toBe(100);
  });
});
