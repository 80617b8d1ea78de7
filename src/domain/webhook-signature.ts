// Webhook signatures as FusionAuth (1.48+) sends them (https://fusionauth.io/docs/extend/events-and-webhooks/signing):
// the `X-FusionAuth-Signature-JWT` header holds a JWT whose `request_body_sha256` claim is the
// Base64 SHA-256 of the exact request body. Here the JWT is HS256 (RFC 7519, RFC 7518 §3.2) keyed
// with the UTF-8 bytes of the webhook's own signing key, as a receiver holding that key verifies it.
import { encodeBase64, encodeBase64Url, randomBytes } from "./encoding";

export const SIGNATURE_HEADER = "X-FusionAuth-Signature-JWT";

/** RFC 7518 §3.2: an HS256 key of at least 256 bits. */
export const MIN_SIGNING_KEY_BYTES = 32;

const encoder = new TextEncoder();
const JWT_HEADER = encodeBase64Url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));

/** A new signing key: 32 CSPRNG bytes as Base64URL (43 characters, 256 bits). */
export const generateSigningKey = (): string => encodeBase64Url(randomBytes(32));

/** The `request_body_sha256` of `body`: standard, padded Base64 (RFC 4648 §4) of its SHA-256. */
export async function requestBodySha256(body: Uint8Array): Promise<string> {
  return encodeBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", body)));
}

/** The signature JWT for `body`, issued at `nowMs`. */
export async function signBody(body: Uint8Array, signingKey: string, nowMs: number): Promise<string> {
  const claims = { iat: Math.floor(nowMs / 1000), request_body_sha256: await requestBodySha256(body) };
  const signingInput = `${JWT_HEADER}.${encodeBase64Url(encoder.encode(JSON.stringify(claims)))}`;
  const key = await crypto.subtle.importKey("raw", encoder.encode(signingKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(signingInput));
  return `${signingInput}.${encodeBase64Url(new Uint8Array(signature))}`;
}
