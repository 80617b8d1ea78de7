// The twoFactorId: 16 random bytes R, then the user id encrypted with AES-CTR under R. Opening one
// gives back the user and R; anything that is not the canonical Base64URL of 32 bytes opens to null.
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "../../src/domain/encoding";
import { newChallengeKey, openTwoFactorId, sealTwoFactorId } from "../../src/crypto/two-factor-id";

const KEY = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const USER_ID = "00000000-0000-4000-8000-000000000abc";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("twoFactorId", () => {
  it("opens to the user and challenge key it was sealed with", async () => {
    const challengeKey = newChallengeKey();
    const id = await sealTwoFactorId(KEY, USER_ID, challengeKey);
    expect(id).toHaveLength(43);
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

  it("opens an altered id to another user or another challenge, never to the original pair", async () => {
    const challengeKey = newChallengeKey();
    const id = await sealTwoFactorId(KEY, USER_ID, challengeKey);
    const bytes = decodeBase64Url(id)!;
    for (const position of [0, 15, 16, 31]) {
      const altered = bytes.slice();
      altered[position]! ^= 0x01;
      const opened = await openTwoFactorId(KEY, encodeBase64Url(altered));
      expect(opened).not.toBeNull();
      expect(opened).not.toEqual({ userId: USER_ID, challengeKey });
    }
  });
});
