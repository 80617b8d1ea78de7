// Webhook signatures as FusionAuth (1.48+) sends them (https://fusionauth.io/docs/extend/events-and-webhooks/signing):
// the `X-FusionAuth-Signature-JWT` header holds a JWT whose `request_body_sha256` claim is the
// Base64 SHA-256 of the exact request body. Here the JWT is HS256 keyed with the UTF-8 bytes of the
// webhook's own signing key, as a receiver holding that key verifies it (src/crypto/webhook-signature.ts).
export const SIGNATURE_HEADER = "X-FusionAuth-Signature-JWT";

/** RFC 7518 §3.2: an HS256 key of at least 256 bits. */
export const MIN_SIGNING_KEY_BYTES = 32;
