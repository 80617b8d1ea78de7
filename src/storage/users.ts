// User records in KV under a versioned prefix, plus lookup indexes by email and username.
// KV is eventually consistent: anything checked at login time lives in the user's Durable Object
// (src/durable/user-guard.ts); these records serve retrieval and the password check.
import { sha256Hex } from "../domain/compare";
import type { PasswordHash } from "../domain/password";

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
  lastLoginInstant?: number;
  passwordLastUpdateInstant: number;
  password: PasswordHash;
  twoFactorEnabled: boolean;
  twoFactorDelivery: TwoFactorDelivery;
  /** AES-GCM ciphertext (src/storage/encryption.ts); a copy of what the user's guard holds. */
  twoFactorSecret?: string;
};

export type LoginIdKind = "email" | "username";

const userKey = (id: string) => `v1:user:${id}`;

/**
 * A login id as a fixed-length name, case-insensitive: any input makes a valid KV key (at most 512
 * bytes, well-formed UTF-8) and Durable Object name, and keys do not spell out people's emails.
 */
export async function identifierName(kind: LoginIdKind, value: string): Promise<string> {
  return `${kind}:${await sha256Hex(value.toLowerCase())}`;
}

const indexKey = async (kind: LoginIdKind, value: string) => `v1:${await identifierName(kind, value)}`;

export function userRepository(kv: KVNamespace) {
  return {
    get: (id: string) => kv.get<UserRecord>(userKey(id), "json"),
    put: (user: UserRecord) => kv.put(userKey(user.id), JSON.stringify(user)),
    delete: (id: string) => kv.delete(userKey(id)),
    idBy: async (kind: LoginIdKind, value: string) => kv.get(await indexKey(kind, value)),
    putIndex: async (kind: LoginIdKind, value: string, id: string) => kv.put(await indexKey(kind, value), id),
    deleteIndex: async (kind: LoginIdKind, value: string) => kv.delete(await indexKey(kind, value)),
    /** FusionAuth's loginId is an email or a username. */
    async idByLoginId(loginId: string): Promise<string | null> {
      const byEmail = loginId.includes("@") ? await kv.get(await indexKey("email", loginId)) : null;
      return byEmail ?? kv.get(await indexKey("username", loginId));
    },
  };
}

export type PublicUser = Omit<UserRecord, "password" | "twoFactorSecret">;

/** The FusionAuth user object as returned by the API: never the password or the 2FA secret. */
export function publicUser(user: UserRecord): PublicUser {
  const { password: _password, twoFactorSecret: _secret, ...visible } = user;
  return visible;
}
