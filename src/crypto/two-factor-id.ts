// The `twoFactorId` of a pending login: 32 bytes, Base64URL without padding (43 characters), as
// FusionAuth's. R (8 random bytes, the challenge's key in the user's Durable Object), then the user id
// encrypted (16 bytes), then T, an 8-byte tag: HMAC-SHA256 over R and the user id, truncated. The user
// id is encrypted with AES-CTR under the counter block R ‖ T, so R and T together pick the keystream,
// as the tag picks the IV in SIV (RFC 5297). Both keys are derived from ENCRYPTION_KEY's current key;
// an id made under a key since demoted still opens while that key is in the setting.
// So an id routes to its user's object with no lookup and does not reveal the user id; the Worker
// checks the tag before it calls any object, and an altered or forged id answers 404 without one.
// A live pending login is named by 128 bits nobody can guess: R, and T, which needs the key.
import { decodeBase64Url, encodeBase64Url } from "../domain/encoding";
import { timingSafeEqual } from "./compare";
import { derivedKeys, macKeys } from "./keyring";
import { randomToken } from "./random";

// 43 characters carry 258 bits, 2 more than the 32 bytes: only the canonical spelling is accepted,
// the one whose last character leaves those 2 bits zero (RFC 4648 §3.5).
const ID_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const R_BYTES = 8;
const USER_ID_BYTES = 16;
const TAG_BYTES = 8;

/** Each key of the setting's pair (AES-CTR key, tag key), the current key's first: ids made before a key was prepended still open. */
async function keyPairs(setting: string | undefined): Promise<{ encryption: CryptoKey; tag: CryptoKey }[]> {
  const [encryption, tag] = await Promise.all([
    derivedKeys(setting, "legacy-two-factor: twoFactorId user id", { name: "AES-CTR", length: 256 }, ["encrypt", "decrypt"]),
    macKeys(setting, "legacy-two-factor: twoFactorId tag"),
  ]);
  return encryption.map((key, index) => ({ encryption: key, tag: tag[index]! }));
}

const uuidBytes = (id: string) => Uint8Array.from(id.replaceAll("-", "").match(/../g)!, (hex) => parseInt(hex, 16));

function uuidText(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function tagOf(tagKey: CryptoKey, r: Uint8Array, userId: Uint8Array): Promise<Uint8Array> {
  const mac = await crypto.subtle.sign("HMAC", tagKey, new Uint8Array([...r, ...userId]));
  return new Uint8Array(mac, 0, TAG_BYTES);
}

/** AES-CTR of `data` (encryption and decryption alike) under the counter block R ‖ T. */
async function ctr(key: CryptoKey, r: Uint8Array, tag: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const params = { name: "AES-CTR", counter: new Uint8Array([...r, ...tag]), length: 64 };
  return new Uint8Array(await crypto.subtle.encrypt(params, key, data));
}

/** A fresh challenge key R: 8 CSPRNG bytes, Base64URL. */
export const newChallengeKey = () => randomToken(R_BYTES);

/** The twoFactorId for challenge `challengeKey` of user `userId` (a lower-case GUID). */
export async function sealTwoFactorId(setting: string | undefined, userId: string, challengeKey: string): Promise<string> {
  const r = decodeBase64Url(challengeKey)!;
  const user = uuidBytes(userId);
  const [current] = await keyPairs(setting);
  const tag = await tagOf(current!.tag, r, user);
  return encodeBase64Url(new Uint8Array([...r, ...(await ctr(current!.encryption, r, tag, user)), ...tag]));
}

/** The user and challenge key an id names, or null when it is not one this key sealed (its tag does not match). */
export async function openTwoFactorId(setting: string | undefined, twoFactorId: string): Promise<{ userId: string; challengeKey: string } | null> {
  if (!ID_PATTERN.test(twoFactorId)) return null;
  const bytes = decodeBase64Url(twoFactorId)!;
  const r = bytes.subarray(0, R_BYTES);
  const tag = bytes.subarray(R_BYTES + USER_ID_BYTES);
  for (const keys of await keyPairs(setting)) {
    const user = await ctr(keys.encryption, r, tag, bytes.subarray(R_BYTES, R_BYTES + USER_ID_BYTES));
    if (timingSafeEqual(await tagOf(keys.tag, r, user), tag)) return { userId: uuidText(user), challengeKey: encodeBase64Url(r) };
  }
  return null;
}
