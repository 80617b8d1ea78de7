// HS256 access tokens with FusionAuth's claim names, plus `tokenStamp`: the account's stamp when the
// token was issued, which every request compares with the account's (src/domain/account.ts). Only
// HS256 is accepted on the way in, so `alg: none` and algorithm-swap tokens fail verification.
// JWT_SIGNING_KEY lists `kid:secret` entries, comma-separated: the first signs, with its kid in the
// header (RFC 7515 §4.1.4), and a token is checked with the entries of its kid, so a prepended key
// signs while the others still verify their tokens until they expire.
import { signHs256, verifyHs256, type SigningKey } from "../../crypto/jwt";
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

/**
 * An entry's id is 1-64 letters, digits, `_` or `-` before its first colon; any other entry is a bare
 * secret, without an id, as the whole setting was before ids. Generated secrets (Base64URL) have no
 * colon, so a setting of one of them stays one bare secret.
 */
const ENTRY_WITH_ID = /^([A-Za-z0-9_-]{1,64}):(.+)$/s;

/** The keys of a JWT_SIGNING_KEY setting, the signing one first; entries are trimmed, empty ones skipped. */
function signingKeys(setting: string): SigningKey[] {
  return setting
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const withId = ENTRY_WITH_ID.exec(entry);
      return withId ? { kid: withId[1]!, secret: withId[2]! } : { secret: entry };
    });
}

export async function issueAccessToken(
  user: TokenSubject,
  options: {
    /** The JWT_SIGNING_KEY setting. */
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
  const [current] = signingKeys(options.signingKey);
  if (!current) throw new Error("JWT_SIGNING_KEY has no key");
  return signHs256(claims, current);
}

/** The token's subject and stamp, or null for anything not signed by a key of the `signingKey` setting, expired, from another issuer, or without a stamp. */
export async function verifyAccessToken(token: string, signingKey: string, issuer: string): Promise<{ userId: string; tokenStamp: string } | null> {
  const claims = await verifyHs256(token, signingKeys(signingKey), issuer);
  return typeof claims?.sub === "string" && typeof claims.tokenStamp === "string" ? { userId: claims.sub, tokenStamp: claims.tokenStamp } : null;
}
