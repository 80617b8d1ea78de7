// A user as one entry of a FusionAuth Import API body (`POST /api/user/import`,
// https://fusionauth.io/docs/apis/users#import-users): what the export writes, so that its output
// imports into FusionAuth or back into this service. Secrets arrive here opened (the caller decrypts).
import { invalidField } from "./failures";
import type { MethodKind } from "./methods";
import { PBKDF2_SCHEME } from "./password";
import type { UserRecord } from "./user";

/**
 * Recovery-code schemes of our own (FusionAuth 1.68 takes pre-hashed codes with a scheme and a work
 * factor). `recovery-code-sha256`: Base64 of SHA-256 over UTF-8 `userId:CODE` (the code folded:
 * upper case, no separators, O read as 0 and I or L as 1), the user id standing as the salt.
 * `recovery-code-hmac-sha256`: codes stored by earlier versions, Base64 of an HMAC-SHA256 of the
 * same text under a key derived from ENCRYPTION_KEY; only a deployment holding that key can check them.
 */
export const RECOVERY_CODE_SCHEMES = ["recovery-code-sha256", "recovery-code-hmac-sha256"] as const;
export type RecoveryCodeScheme = (typeof RECOVERY_CODE_SCHEMES)[number];
/** One hash per code, no iterations. */
export const RECOVERY_CODE_WORK_FACTOR = 1;

/**
 * Where an export marks a legacy TextMessage enrolment: `data.legacyTwoFactor.textedMethod`, the
 * index in `twoFactor.methods` of the authenticator whose codes are texted. FusionAuth refuses
 * unknown properties (`[invalidJSON]`) and dropped `twoFactorDelivery` in 1.26, but keeps `data` as
 * it is; this service's Import API reads the mark back and takes it out of `data`.
 */
export const TEXTED_MARK = "legacyTwoFactor";

export type ExportedMethod = { method: MethodKind; secret?: string; mobilePhone?: string; email?: string; name?: string };

export type ImportUser = Omit<UserRecord, "password" | "twoFactor" | "lastUpdateInstant"> & {
  password: string;
  salt: string;
  factor: number;
  encryptionScheme: typeof PBKDF2_SCHEME;
  twoFactor?: {
    methods: ExportedMethod[];
    recoveryCodes: string[];
    recoveryCodeEncryptionScheme?: RecoveryCodeScheme;
    recoveryCodeWorkFactor?: number;
  };
};

/** `user` as an Import API entry; `secrets` holds each authenticator's key as Base64, by method id. */
export function importUserOf(
  user: UserRecord,
  secrets: Map<string, string>,
  recoveryCodes: { scheme: RecoveryCodeScheme; codes: string[] } | null,
): ImportUser {
  const { password, twoFactor, lastUpdateInstant: _updated, ...profile } = user;
  const entry: ImportUser = { ...profile, password: password.hash, salt: password.salt, factor: password.factor, encryptionScheme: PBKDF2_SCHEME };
  if (!twoFactor.methods.length) return entry;
  const methods = twoFactor.methods.map((method): ExportedMethod => {
    const named = method.name === undefined ? {} : { name: method.name };
    if (method.method === "authenticator") return { method: "authenticator", secret: secrets.get(method.id)!, ...named };
    if (method.method === "sms") return { method: "sms", mobilePhone: method.mobilePhone, ...named };
    return { method: "email", email: method.email, ...named };
  });
  const texted = twoFactor.methods.findIndex((method) => method.method === "authenticator" && method.texted);
  if (texted >= 0) entry.data = { ...entry.data, [TEXTED_MARK]: { textedMethod: texted } };
  entry.twoFactor = {
    methods,
    recoveryCodes: recoveryCodes?.codes ?? [],
    ...(recoveryCodes?.codes.length && { recoveryCodeEncryptionScheme: recoveryCodes.scheme, recoveryCodeWorkFactor: RECOVERY_CODE_WORK_FACTOR }),
  };
  return entry;
}

/**
 * The index of the texted authenticator an Import API entry's `data` marks (see TEXTED_MARK), and
 * its `data` without the mark; `textedMethod` is null when there is no mark.
 */
export function takeTextedMark(data: Record<string, unknown> | null | undefined): {
  data: Record<string, unknown> | null | undefined;
  textedMethod: number | null;
} {
  const mark = data?.[TEXTED_MARK] as { textedMethod?: unknown } | undefined;
  if (!data || mark === undefined) return { data, textedMethod: null };
  const { [TEXTED_MARK]: _mark, ...rest } = data;
  const index = typeof mark === "object" && mark !== null && Number.isInteger(mark.textedMethod) ? (mark.textedMethod as number) : -1;
  return { data: Object.keys(rest).length ? rest : null, textedMethod: index };
}

/** `user` with the authenticator at `index` of its methods texted (a legacy TextMessage enrolment an export marked). */
export function withTextedMethod(user: UserRecord, index: number): UserRecord {
  const method = user.twoFactor.methods[index];
  if (method?.method !== "authenticator") {
    throw invalidField(
      `user.data.${TEXTED_MARK}`,
      "invalid",
      `The [data.${TEXTED_MARK}.textedMethod] must be the index of an authenticator in [twoFactor.methods].`,
    );
  }
  if (!user.mobilePhone) throw invalidField("user.mobilePhone", "blank", "A mobile phone is required for TextMessage two factor delivery.");
  const methods = user.twoFactor.methods.map((each, at) => (at === index ? { ...method, texted: true as const } : each));
  return { ...user, twoFactor: { methods } };
}
