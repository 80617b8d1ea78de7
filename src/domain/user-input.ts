// The User object's writable fields and the rules shared by the User and Import APIs: validation,
// profile copying, and the legacy 2FA fields (FusionAuth User API, `twoFactor*` fields before 1.26).
import { z } from "zod";
import { encrypt } from "./crypto";
import { invalidField } from "./failures";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password";
import { generateSecret, keyFromSecret } from "./secret";
import { secretContext, type TwoFactorDelivery, type UserRecord } from "./user";

/**
 * FusionAuth ids: any 8-4-4-4-12 hex string (Java's UUID.fromString accepts non-RFC-4122 ids such
 * as `10000000-0000-0002-0000-000000000001`), normalised to lower case so one id is one record.
 */
export const fusionAuthId = z.guid().transform((id) => id.toLowerCase());

export const DEFAULT_TENANT_ID = "00000000-0000-4000-8000-000000000001";
// No white space, control, format (e.g. bidi overrides) or lone surrogate characters: login ids are
// shown to people and used as lookup keys.
const EMAIL = /^[^\s@\p{C}]+@[^\s@\p{C}]+\.[^\s@\p{C}]+$/u;
const USERNAME = /^[^\p{C}]+$/u;
const text = (max: number) => z.string().trim().max(max);

/**
 * FusionAuth's `TwoFactorDelivery`, always answered as its name. `@fusionauth/typescript-client`
 * before 1.19 declared it as a numeric TypeScript enum (`None = 0`, `TextMessage = 1`) and so sent
 * `0` / `1`, which FusionAuth's Java server (Jackson reading an enum by ordinal) took as
 * `None` / `TextMessage`. Any other number, a numeric string or a boolean is refused.
 */
export const TWO_FACTOR_DELIVERIES = ["None", "TextMessage"] as const satisfies readonly TwoFactorDelivery[];
export const twoFactorDelivery = z
  .union([z.enum(TWO_FACTOR_DELIVERIES), z.literal(0), z.literal(1)])
  .transform((delivery): TwoFactorDelivery => (typeof delivery === "number" ? TWO_FACTOR_DELIVERIES[delivery] : delivery))
  .describe("`None` or `TextMessage`; the numbers `0` and `1` (clients before 1.19) mean the same. Answered as the name.");

export const userFields = z.object({
  email: text(254).regex(EMAIL).nullish(),
  username: text(191).min(1).regex(USERNAME).nullish(),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `[tooShort]The [user.password] must be at least ${MIN_PASSWORD_LENGTH} characters.`)
    .max(MAX_PASSWORD_LENGTH, `[tooLong]The [user.password] must be at most ${MAX_PASSWORD_LENGTH} characters.`)
    .nullish(),
  mobilePhone: text(64)
    .nullish()
    .describe(
      "A number a text can reach: E.164 once normalised (`555-555-5555` is read in `DEFAULT_PHONE_REGION`), else `[invalid]user.mobilePhone`. Stored as given.",
    ),
  firstName: text(255).nullish(),
  middleName: text(255).nullish(),
  lastName: text(255).nullish(),
  fullName: text(255).nullish(),
  birthDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullish(),
  imageUrl: z.url().max(2048).nullish(),
  timezone: text(64).nullish(),
  preferredLanguages: z.array(text(32)).max(20).nullish(),
  data: z.record(z.string(), z.unknown()).nullish(),
  active: z.boolean().nullish(),
  verified: z.boolean().nullish(),
  passwordChangeRequired: z.boolean().nullish(),
  expiry: z.number().int().positive().nullish(),
  tenantId: fusionAuthId.nullish(),
  twoFactorEnabled: z.boolean().nullish(),
  twoFactorDelivery: twoFactorDelivery.nullish(),
  twoFactorSecret: z.string().max(256).nullish(),
});
export type UserInput = z.output<typeof userFields>;

const MAX_DATA_BYTES = 64 * 1024;
const PROFILE_FIELDS = [
  "email",
  "username",
  "mobilePhone",
  "firstName",
  "middleName",
  "lastName",
  "fullName",
  "birthDate",
  "imageUrl",
  "timezone",
  "preferredLanguages",
  "data",
  "expiry",
] as const;

/**
 * Applies the User API's 2FA rules to `user`, which already carries `input`'s profile: the secret and
 * delivery cannot change while 2FA is enabled; `twoFactorEnabled: false` switches it off.
 */
export async function applyTwoFactor(encryptionKey: string | undefined, user: UserRecord, previous: UserRecord | undefined, input: UserInput): Promise<void> {
  if (previous?.twoFactorEnabled) {
    if (input.twoFactorEnabled === false) {
      Object.assign(user, { twoFactorEnabled: false, twoFactorDelivery: "None", twoFactorSecret: undefined });
      return;
    }
    if (input.twoFactorSecret)
      throw invalidField(
        "user.twoFactorSecret",
        "invalid",
        "The two factor secret cannot be changed while two factor authentication is enabled. Disable it first.",
      );
    if (input.twoFactorDelivery && input.twoFactorDelivery !== previous.twoFactorDelivery) {
      throw invalidField(
        "user.twoFactorDelivery",
        "invalid",
        "The two factor delivery cannot be changed while two factor authentication is enabled. Disable it first.",
      );
    }
  } else if (input.twoFactorEnabled) {
    user.twoFactorEnabled = true;
    user.twoFactorDelivery = input.twoFactorDelivery ?? "None";
    // Since 1.17.0 FusionAuth generates the secret for TextMessage users when it is omitted.
    const secret = input.twoFactorSecret ?? (user.twoFactorDelivery === "TextMessage" ? generateSecret().secret : undefined);
    if (!secret) throw invalidField("user.twoFactorSecret", "blank", "A two factor secret is required when two factor delivery is None.");
    const key = keyFromSecret(secret);
    if (!key) throw invalidField("user.twoFactorSecret", "invalid", "The two factor secret must be Base64 and decode to at least 10 bytes.");
    user.twoFactorSecret = await encrypt(encryptionKey, key, secretContext(user.id));
  }
  if (user.twoFactorEnabled && user.twoFactorDelivery === "TextMessage" && !user.mobilePhone) {
    throw invalidField("user.mobilePhone", "blank", "A mobile phone is required for TextMessage two factor delivery.");
  }
}

export function requireLoginId(user: Pick<UserRecord, "email" | "username">): void {
  if (!user.email && !user.username) throw invalidField("user.email", "blank", "You must specify either the [user.email] or [user.username] property.");
}

export function checkDataSize(user: UserRecord): void {
  if (user.data && JSON.stringify(user.data).length > MAX_DATA_BYTES)
    throw invalidField("user.data", "tooLarge", `The [user.data] property must be at most ${MAX_DATA_BYTES} bytes.`);
}

/** Copies the profile fields `input` mentions onto `user`; null clears a field. */
export function applyProfile(user: UserRecord, input: UserInput, replace: boolean): void {
  for (const field of PROFILE_FIELDS) {
    const value = input[field];
    if (value === undefined && !replace) continue;
    if (value === null || value === undefined) delete user[field];
    else (user as Record<string, unknown>)[field] = value;
  }
  for (const flag of ["active", "verified", "passwordChangeRequired"] as const) {
    if (typeof input[flag] === "boolean") user[flag] = input[flag];
  }
}
