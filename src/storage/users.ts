// User records in KV under a versioned prefix, plus lookup indexes by email and username.
// KV is eventually consistent: anything checked at login time lives in the user's Durable Object
// (src/durable/user-guard.ts); these records serve retrieval and the password check.
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
const indexKey = (kind: LoginIdKind, value: string) => `v1:${kind}:${value.toLowerCase()}`;

export function userRepository(kv: KVNamespace) {
  return {
    get: (id: string) => kv.get<UserRecord>(userKey(id), "json"),
    put: (user: UserRecord) => kv.put(userKey(user.id), JSON.stringify(user)),
    delete: (id: string) => kv.delete(userKey(id)),
    idBy: (kind: LoginIdKind, value: string) => kv.get(indexKey(kind, value)),
    putIndex: (kind: LoginIdKind, value: string, id: string) => kv.put(indexKey(kind, value), id),
    deleteIndex: (kind: LoginIdKind, value: string) => kv.delete(indexKey(kind, value)),
    /** FusionAuth's loginId is an email or a username. */
    async idByLoginId(loginId: string): Promise<string | null> {
      return loginId.includes("@") ? (await kv.get(indexKey("email", loginId))) ?? kv.get(indexKey("username", loginId)) : kv.get(indexKey("username", loginId));
    },
  };
}

export type UserRepository = ReturnType<typeof userRepository>;

/** The FusionAuth user object as returned by the API: never the password or the 2FA secret. */
export function publicUser(user: UserRecord) {
  const { password: _password, twoFactorSecret: _secret, ...visible } = user;
  return visible;
}
