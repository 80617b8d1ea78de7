// HS256 access tokens with FusionAuth's claim names. Only HS256 is accepted on the way in,
// so `alg: none` and algorithm-swap tokens fail verification.
import { sign, verify } from "hono/jwt";

export type AccessTokenClaims = {
  sub: string;
  aud?: string;
  iss: string;
  iat: number;
  exp: number;
  jti: string;
  email?: string;
  preferred_username?: string;
  applicationId?: string;
  authenticationType: string;
};

export type TokenSubject = { id: string; email?: string; username?: string };

export async function issueAccessToken(
  user: TokenSubject,
  options: { signingKey: string; issuer: string; ttlSeconds: number; applicationId?: string; nowMs: number; authenticationType?: string },
): Promise<string> {
  const iat = Math.floor(options.nowMs / 1000);
  const claims: AccessTokenClaims = {
    sub: user.id,
    iss: options.issuer,
    iat,
    exp: iat + options.ttlSeconds,
    jti: crypto.randomUUID(),
    authenticationType: options.authenticationType ?? "PASSWORD",
    ...(options.applicationId && { aud: options.applicationId, applicationId: options.applicationId }),
    ...(user.email && { email: user.email }),
    ...(user.username && { preferred_username: user.username }),
  };
  return sign(claims, await hmacKey(options.signingKey), "HS256");
}

/** The signing key as a CryptoKey, imported once per isolate: each sign and verify would otherwise import it again. */
let imported: { signingKey: string; key: Promise<CryptoKey> } | null = null;

function hmacKey(signingKey: string): Promise<CryptoKey> {
  if (imported?.signingKey !== signingKey) {
    const raw = new TextEncoder().encode(signingKey);
    imported = { signingKey, key: crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]) };
  }
  return imported.key;
}

/** The token's subject and issue time (s), or null for anything not signed by us, expired, or from another issuer. */
export async function verifyAccessToken(token: string, signingKey: string, issuer: string): Promise<{ userId: string; issuedAt: number } | null> {
  try {
    const claims = await verify(token, await hmacKey(signingKey), { alg: "HS256", iss: issuer });
    return typeof claims.sub === "string" && typeof claims.iat === "number" ? { userId: claims.sub, issuedAt: claims.iat } : null;
  } catch {
    return null;
  }
}
