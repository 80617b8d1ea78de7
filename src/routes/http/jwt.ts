// HS256 access tokens with FusionAuth's claim names. Only HS256 is accepted on the way in,
// so `alg: none` and algorithm-swap tokens fail verification.
import { signHs256, verifyHs256 } from "../../crypto/jwt";
import { randomId } from "../../crypto/random";

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
    jti: randomId(),
    authenticationType: options.authenticationType ?? "PASSWORD",
    ...(options.applicationId && { aud: options.applicationId, applicationId: options.applicationId }),
    ...(user.email && { email: user.email }),
    ...(user.username && { preferred_username: user.username }),
  };
  return signHs256(claims, options.signingKey);
}

/** The token's subject and issue time (s), or null for anything not signed by us, expired, or from another issuer. */
export async function verifyAccessToken(token: string, signingKey: string, issuer: string): Promise<{ userId: string; issuedAt: number } | null> {
  const claims = await verifyHs256(token, signingKey, issuer);
  return typeof claims?.sub === "string" && typeof claims.iat === "number" ? { userId: claims.sub, issuedAt: claims.iat } : null;
}
