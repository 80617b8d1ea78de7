// The `twoFactorId` of a pending login: 32 bytes, Base64URL without padding (43 characters), as
// FusionAuth's. The first 16 bytes are random (R, the challenge's key in the user's Durable Object);
// the last 16 are the user id encrypted with AES-CTR under a key derived from ENCRYPTION_KEY, with R
// as the counter block. So an id routes to its user's object with no lookup, does not reveal the user
// id, and an altered or forged id decrypts to an object that holds no such challenge (404).
import { decodeBase64Url, encodeBase64Url } from "../domain/encoding";
import { deriveKey } from "./keyring";
import { randomToken } from "./random";

// 43 characters carry 258 bits, 2 more than the 32 bytes: only the canonical spelling is accepted,
// the one whose last character leaves those 2 bits zero (RFC 4648 §3.5).
const ID_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const keys = new Map<string, Promise<CryptoKey>>();

function idKey(setting: string | undefined): Promise<CryptoKey> {
  const cacheKey = setting ?? "";
  let key = keys.get(cacheKey);
  if (!key) {
    key = deriveKey(setting, "legacy-two-factor: twoFactorId user id", { name: "AES-CTR", length: 256 }, ["encrypt", "decrypt"]);
    keys.set(cacheKey, key);
  }
  return key;
}

const uuidBytes = (id: string) => Uint8Array.from(id.replaceAll("-", "").match(/../g)!, (hex) => parseInt(hex, 16));

function uuidText(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function ctr(setting: string | undefined, counter: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const params = { name: "AES-CTR", counter, length: 64 };
  return new Uint8Array(await crypto.subtle.encrypt(params, await idKey(setting), data));
}

/** A fresh challenge key R: 16 CSPRNG bytes, Base64URL. */
export const newChallengeKey = () => randomToken(16);

/** The twoFactorId for challenge `challengeKey` of user `userId` (a lower-case GUID). */
export async function sealTwoFactorId(setting: string | undefined, userId: string, challengeKey: string): Promise<string> {
  const r = decodeBase64Url(challengeKey)!;
  const sealed = await ctr(setting, r, uuidBytes(userId));
  const id = new Uint8Array(32);
  id.set(r);
  id.set(sealed, 16);
  return encodeBase64Url(id);
}

/** The user and challenge key an id names, or null when it cannot be one of ours. */
export async function openTwoFactorId(setting: string | undefined, twoFactorId: string): Promise<{ userId: string; challengeKey: string } | null> {
  if (!ID_PATTERN.test(twoFactorId)) return null;
  const bytes = decodeBase64Url(twoFactorId)!;
  const r = bytes.subarray(0, 16);
  const userId = uuidText(await ctr(setting, r.slice(), bytes.subarray(16)));
  return { userId, challengeKey: encodeBase64Url(r) };
}
