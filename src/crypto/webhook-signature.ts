// Signs a webhook delivery's body (src/domain/webhook-signature.ts): an HS256 JWT carrying the
// body's SHA-256.
import { encodeBase64 } from "../domain/encoding";
import { sha256 } from "./compare";
import { signHs256 } from "./jwt";
import { randomToken } from "./random";

/** A new signing key: 32 CSPRNG bytes as Base64URL (43 characters, 256 bits). */
export const newSigningKey = (): string => randomToken(32);

/** The `request_body_sha256` of `body`: standard, padded Base64 (RFC 4648 §4) of its SHA-256. */
export async function requestBodySha256(body: Uint8Array): Promise<string> {
  return encodeBase64(await sha256(body));
}

/** The signature JWT for `body`, issued at `nowMs`. */
export async function signBody(body: Uint8Array, signingKey: string, nowMs: number): Promise<string> {
  return signHs256({ iat: Math.floor(nowMs / 1000), request_body_sha256: await requestBodySha256(body) }, { secret: signingKey });
}
