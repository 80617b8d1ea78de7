// The one HS256 signer (RFC 7519, RFC 7518 §3.2), hono/jwt's, for access tokens and webhook
// signatures. Each key is imported once per isolate: every sign and verify would otherwise import it again.
import { sign, verify } from "hono/jwt";
import type { JWTPayload } from "hono/utils/jwt/types";

/** Keys by their text; a handful exist (the JWT signing key, one per webhook). */
const imported = new Map<string, Promise<CryptoKey>>();
const MAX_KEYS = 100;

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = imported.get(secret);
  if (!key) {
    if (imported.size >= MAX_KEYS) imported.clear();
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    imported.set(secret, key);
  }
  return key;
}

/** A JWT of `claims` signed with HS256 under the UTF-8 bytes of `secret`. */
export async function signHs256(claims: JWTPayload, secret: string): Promise<string> {
  return sign(claims, await hmacKey(secret), "HS256");
}

/** The claims of `token` when it is HS256-signed under `secret`, unexpired and from `issuer`; null otherwise (`alg: none` and algorithm swaps included). */
export async function verifyHs256(token: string, secret: string, issuer: string): Promise<JWTPayload | null> {
  try {
    return await verify(token, await hmacKey(secret), { alg: "HS256", iss: issuer });
  } catch {
    return null;
  }
}
