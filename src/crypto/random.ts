// Every random value the service makes comes from here: Web Crypto's CSPRNG, never Math.random.
import { encodeBase64Url } from "../domain/encoding";
import { METHOD_ID_ALPHABET } from "../domain/methods";
import { SECRET_RANDOM_BYTES, secretFrom } from "../domain/secret";

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/** A random (version 4) UUID: user, webhook, event and token ids. */
export const randomId = (): string => crypto.randomUUID();

/** `length` random bytes as Base64URL: trust ids, challenge keys, signing keys. */
export const randomToken = (length: number): string => encodeBase64Url(randomBytes(length));

/** A new access-token stamp (src/domain/account.ts, Guard.tokenStamp): 128 random bits. */
export const newTokenStamp = (): string => randomToken(16);

/** A new TOTP secret, in FusionAuth's shape (src/domain/secret.ts). */
export const newTotpSecret = () => secretFrom(randomBytes(SECRET_RANDOM_BYTES));

/** `length` characters drawn uniformly from `alphabet` (at most 256 characters): bytes past the last whole multiple are drawn again. */
export function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let text = "";
  while (text.length < length) {
    for (const byte of randomBytes(length)) if (byte < limit && text.length < length) text += alphabet[byte % alphabet.length];
  }
  return text;
}

/** A candidate two-factor method id (src/domain/methods.ts): 4 random letters and digits. */
export const newMethodId = (): string => randomString(METHOD_ID_ALPHABET, 4);

/** A one-time code to send: 6 random digits (FusionAuth's default `randomDigits` generator, length 6). */
export const newOneTimeCode = (): string => randomString("0123456789", 6);
