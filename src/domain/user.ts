// The FusionAuth user as this service keeps it. The whole record lives in the user's Durable Object
// (src/objects/user-guard.ts); KV holds a replica of its public part.
import { hasMethods, legacyDelivery, legacyMethods, publicMethod, type PublicMethod, type TwoFactorMethod } from "./methods";
import type { PasswordHash } from "./password";

export type TwoFactorDelivery = "None" | "TextMessage";

export type UserRecord = {
  id: string;
  tenantId: string;
  email?: string;
  username?: string;
  mobilePhone?: string;
  firstName?: string;
  middleName?: string;
  lastName?: string;
  fullName?: string;
  birthDate?: string;
  imageUrl?: string;
  timezone?: string;
  preferredLanguages?: string[];
  data?: Record<string, unknown>;
  active: boolean;
  verified: boolean;
  passwordChangeRequired: boolean;
  expiry?: number;
  insertInstant: number;
  lastUpdateInstant: number;
  passwordLastUpdateInstant: number;
  password: PasswordHash;
  twoFactor: { methods: TwoFactorMethod[] };
};

/**
 * The user as the API shows it: both eras' views of the second factors, `twoFactor.methods` (1.26+)
 * and `twoFactorEnabled` / `twoFactorDelivery` (before 1.26). `twoFactorRecoveryCodesRemaining`:
 * while 2FA is enabled, how many unused recovery codes the user has.
 */
export type PublicUser = Omit<UserRecord, "password" | "twoFactor"> & {
  twoFactorEnabled: boolean;
  twoFactorDelivery: TwoFactorDelivery;
  twoFactor: { methods: PublicMethod[] };
  lastLoginInstant?: number;
  twoFactorRecoveryCodesRemaining?: number;
};

/** The FusionAuth user object as returned by the API: never the password or a 2FA secret. */
export function publicUser(user: UserRecord, lastLoginInstant?: number, lastUsedMethodId?: string): PublicUser {
  const { password: _password, twoFactor, ...profile } = user;
  const visible: PublicUser = {
    ...profile,
    twoFactorEnabled: hasMethods(twoFactor.methods),
    twoFactorDelivery: legacyDelivery(twoFactor.methods),
    twoFactor: { methods: twoFactor.methods.map((method) => publicMethod(method, lastUsedMethodId)) },
  };
  return lastLoginInstant === undefined ? visible : { ...visible, lastLoginInstant };
}

/** Whether the user has a second factor (the legacy `twoFactorEnabled`). */
export const twoFactorEnabled = (user: Pick<UserRecord, "twoFactor">) => hasMethods(user.twoFactor.methods);

/** A record as stored by any version: before methods, the legacy fields held the one enrolment. */
export function upgradeUser(stored: UserRecord & { twoFactorEnabled?: boolean; twoFactorSecret?: string; twoFactorDelivery?: TwoFactorDelivery }): UserRecord {
  if (stored.twoFactor) return stored;
  const { twoFactorEnabled: _enabled, twoFactorSecret: _secret, twoFactorDelivery: _delivery, ...user } = stored;
  return { ...user, twoFactor: { methods: legacyMethods(stored) } };
}

/** Associated data that binds a user's encrypted secret to that user. */
export const secretContext = (userId: string) => `two-factor-secret:${userId}`;
/** The associated data sealing user `userId`'s recovery-code hashes. */
export const recoveryCodeContext = (userId: string) => `recovery-code:${userId}`;

export const isExpired = (user: Pick<UserRecord, "expiry">, nowMs: number) => user.expiry !== undefined && user.expiry <= nowMs;

export type LoginId = { kind: "email" | "username"; value: string };

/** A user's login ids (email and username): one namespace, as a login's `loginId` may be either. */
export const loginIdsOf = (user: Pick<UserRecord, "email" | "username">): LoginId[] =>
  (["email", "username"] as const).flatMap((kind) => (user[kind] ? [{ kind, value: user[kind] }] : []));

/**
 * The one form in which login ids (emails and usernames) are compared, claimed and indexed: Unicode
 * NFKC (UAX #15, https://unicode.org/reports/tr15/), so fullwidth, ligature and other compatibility
 * forms and composed / decomposed accents are one login id; then trimmed; then lower-cased with
 * `toLowerCase` (Unicode's default, locale-independent lowercase mapping), so case does not matter;
 * then, for an email, without the final dot of a fully qualified domain (`example.com.` is
 * `example.com`, RFC 1034 §3.1). That is lowercasing, not full case folding: "ß" stays apart from
 * "ss", "ς" from "σ" (docs/migration.md, "Login ids: what is folded"); ids that only look alike across
 * scripts are caught by their skeletons (./login-id.ts). Idempotent, and its results are NFKC
 * (checked for every code point in test/domain/login-id.test.ts). The stored email and username keep
 * the user's spelling.
 */
export const normalizeLoginId = (loginId: string) => {
  const folded = loginId.normalize("NFKC").trim().toLowerCase();
  return folded.includes("@") ? folded.replace(/[.\s]+$/, "") : folded;
};

export const sameLoginId = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && normalizeLoginId(a) === normalizeLoginId(b);
