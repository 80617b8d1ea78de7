// Every random value the service makes comes from here: Web Crypto's CSPRNG, never Math.random.
import { encodeBase64Url } from "../domain/encoding";
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
