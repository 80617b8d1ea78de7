// HS256 access tokens with FusionAuth's claim names, plus `tokenStamp`: the account's stamp when the
// token was issued, which every request compares with the account's (src/domain/account.ts). Only
// HS256 is accepted on the way in, so `alg: none` and algorithm-swap tokens fail verification.
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
  tokenStamp: string;
};

export type TokenSubject = { id: string; email?: string; username?: string };

export async function issueAccessToken(
  user: TokenSubject,
  options: {
    signingKey: string;
    issuer: string;
    ttlSeconds: number;
    applicationId?: string;
    /** The account's token stamp (src/domain/account.ts). */
    tokenStamp: string;
    nowMs: number;
    authenticationType?: string;
  },
): Promise<string> {
  const iat = Math.floor(options.nowMs / 1000);
  const claims: AccessTokenClaims = {
    sub: user.id,
    iss: options.issuer,
    iat,
    exp: iat + options.ttlSeconds,
    jti: randomId(),
    authenticationType: options.authenticationType ?? "PASSWORD",
    tokenStamp: options.tokenStamp,
    ...(options.applicationId && { aud: options.applicationId, applicationId: options.applicationId }),
    ...(user.email && { email: user.email }),
    ...(user.username && { preferred_username: user.username }),
  };
  return signHs256(claims, options.signingKey);
}

/** The token's subject and stamp, or null for anything not signed by us, expired, from another issuer, or without a stamp. */
export async function verifyAccessToken(token: string, signingKey: string, issuer: string): Promise<{ userId: string; tokenStamp: string } | null> {
  const claims = await verifyHs256(token, signingKey, issuer);
  return typeof claims?.sub === "string" && typeof claims.tokenStamp === "string" ? { userId: claims.sub, tokenStamp: claims.tokenStamp } : null;
}
