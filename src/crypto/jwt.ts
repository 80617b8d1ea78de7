// The one HS256 signer (RFC 7519, RFC 7518 §3.2), for access tokens and webhook signatures; hono/jwt
// verifies. Each key is imported once per isolate: every sign and verify would otherwise import it again.
import { decode, verify } from "hono/jwt";
import type { JWTPayload } from "hono/utils/jwt/types";
import { encodeBase64Url } from "../domain/encoding";

/** A key and its id (`kid`, RFC 7515 §4.1.4); a key without one signs tokens without one, as before ids. */
export type SigningKey = { kid?: string; secret: string };

/** Keys by their text; a handful exist (the JWT signing keys, one per webhook). */
const imported = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 100;
const encoder = new TextEncoder();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = imported.get(secret);
  if (!key) {
    if (imported.size >= MAX_KEYS) imported.clear();
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    imported.set(secret, key);
  }
  return key;
}

const part = (value: object) => encodeBase64Url(encoder.encode(JSON.stringify(value)));

/** A JWT of `claims` signed with HS256 under the UTF-8 bytes of `key.secret`, its `kid` in the header when it has one. */
export async function signHs256(claims: JWTPayload, key: SigningKey): Promise<string> {
  // Signed here, not by hono/jwt's sign, which writes a kid only for a JWK and imports that on every call.
  const input = `${part({ alg: "HS256", typ: "JWT", ...(key.kid !== undefined && { kid: key.kid }) })}.${part(claims)}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(key.secret), encoder.encode(input));
  return `${input}.${encodeBase64Url(new Uint8Array(signature))}`;
}

/**
 * The claims of `token` when it is HS256-signed under a key of `keys` with the header's `kid` (a
 * token without one: a key without one), unexpired and from `issuer`; null otherwise (unknown kids,
 * `alg: none` and algorithm swaps included).
 */
export async function verifyHs256(token: string, keys: readonly SigningKey[], issuer: string): Promise<JWTPayload | null> {
  const kid = kidOf(token);
  if (kid === null) return null;
  for (const key of keys.filter((candidate) => candidate.kid === kid)) {
    try {
      return await verify(token, await hmacKey(key.secret), { alg: "HS256", iss: issuer });
    } catch {
      // not this key's token: try the next with the same id
    }
  }
  return null;
}

/** The header's `kid`; undefined without one, null when the header is no JSON object or its kid no string. */
function kidOf(token: string): string | undefined | null {
  let header: unknown;
  try {
    header = decode(token).header;
  } catch {
    return null;
  }
  if (typeof header !== "object" || header === null) return null;
  const { kid } = header as { kid?: unknown };
  return kid === undefined || typeof kid === "string" ? kid : null;
}
