// The User object's writable fields and the rules shared by the User and Import APIs: profile
// copying, validation, and the legacy 2FA fields (FusionAuth User API, `twoFactor*` fields before
// 1.26). The request schemas that produce a UserInput are src/routes/http/requests.ts.
import { invalidField } from "./failures";
import { keyFromSecret } from "./secret";
import { legacyDelivery, MAX_METHODS, methodById, type MethodKind, type TwoFactorMethod } from "./methods";
import { twoFactorEnabled, type TwoFactorDelivery, type UserRecord } from "./user";

export const DEFAULT_TENANT_ID = "00000000-0000-4000-8000-000000000001";

/** `TwoFactorDelivery` names; clients before 1.19 sent their ordinals (see the request schema). */
export const TWO_FACTOR_DELIVERIES = ["None", "TextMessage"] as const satisfies readonly TwoFactorDelivery[];

/** A User API body's `user`, as validated: `null` clears a field, `undefined` leaves it. */
export type UserInput = {
  email?: string | null;
  username?: string | null;
  password?: string | null;
  mobilePhone?: string | null;
  firstName?: string | null;
  middleName?: string | null;
  lastName?: string | null;
  fullName?: string | null;
  birthDate?: string | null;
  imageUrl?: string | null;
  timezone?: string | null;
  preferredLanguages?: string[] | null;
  data?: Record<string, unknown> | null;
  active?: boolean | null;
  verified?: boolean | null;
  passwordChangeRequired?: boolean | null;
  expiry?: number | null;
  tenantId?: string | null;
  twoFactorEnabled?: boolean | null;
  twoFactorDelivery?: TwoFactorDelivery | null;
  twoFactorSecret?: string | null;
  /** FusionAuth 1.26+: the user's methods (`recoveryCodes` and their scheme: Import only). */
  twoFactor?: {
    methods?: MethodInput[] | null;
    recoveryCodes?: string[] | null;
    recoveryCodeEncryptionScheme?: string | null;
    recoveryCodeWorkFactor?: number | null;
  } | null;
};

/** A method as the User and Import APIs take it: `id` only names an existing method, which then stays as it is (FusionAuth). */
export type MethodInput = {
  id?: string | null;
  method?: MethodKind | null;
  secret?: string | null;
  mobilePhone?: string | null;
  email?: string | null;
  name?: string | null;
};

/** A method to add, before its secret is encrypted and it gets an id. */
/** A method before its key is sealed and its id made; `texted` marks a legacy TextMessage enrolment. */
export type MethodDraft =
  | { method: "authenticator"; key: Uint8Array; name?: string; texted?: boolean }
  | { method: "sms"; mobilePhone: string; name?: string }
  | { method: "email"; email: string; name?: string };

/**
 * The User API's `twoFactor.methods` (FusionAuth 1.26+): on create every method is new; a PUT keeps
 * the existing methods it names by `id` (unchanged: methods are not edited through the User API)
 * and drops the others; a PATCH appends. Methods without a known `id` are new, with ids made by the
 * server. Answers the methods kept and those to add; null when the input has no methods. With
 * them the legacy `twoFactorEnabled` and `twoFactorDelivery` (a user as answered, sent back) are
 * not read, and a `twoFactorSecret` is refused. Phone numbers are expected in E.164 and addresses
 * normalised (the caller normalises them: src/services/shared/addresses.ts).
 */
export function applyMethods(
  previous: TwoFactorMethod[],
  input: UserInput,
  mode: "create" | "replace" | "merge",
): { kept: TwoFactorMethod[]; added: MethodDraft[] } | null {
  const methods = input.twoFactor?.methods;
  if (!methods) return null;
  const field = "user.twoFactor.methods";
  if (input.twoFactorSecret != null) {
    throw invalidField(field, "invalid", "Send either a legacy [twoFactorSecret] or [twoFactor.methods], not both.");
  }
  const known = (id: string | null | undefined) => (mode === "create" || !id ? undefined : methodById(previous, id));
  const kept = mode === "merge" ? [...previous] : methods.flatMap((method) => [known(method.id)].filter((found) => found !== undefined));
  const added = methods.flatMap((method, index) => (known(method.id) ? [] : [methodDraft(method, `${field}[${index}]`)]));
  if (kept.length + added.length > MAX_METHODS) throw invalidField(field, "tooMany", `A user may have at most ${MAX_METHODS} two-factor methods.`);
  return { kept: [...new Set(kept)], added };
}

/** Whether applying `methods` leaves `previous` as it was (nothing added, every method kept in its place). */
export const sameMethods = (methods: { kept: TwoFactorMethod[]; added: MethodDraft[] }, previous: TwoFactorMethod[]) =>
  methods.added.length === 0 && methods.kept.length === previous.length && methods.kept.every((method, index) => method === previous[index]);

function methodDraft(input: MethodInput, field: string): MethodDraft {
  const name = input.name ?? undefined;
  if (input.method === "authenticator") {
    if (!input.secret) throw invalidField(`${field}.secret`, "blank", `The [${field}.secret] property is required for an authenticator.`);
    const key = keyFromSecret(input.secret);
    if (!key) throw invalidField(`${field}.secret`, "invalid", "The secret must be Base64 and decode to at least 10 bytes.");
    return { method: "authenticator", key, name };
  }
  if (input.method === "sms") {
    if (!input.mobilePhone) throw invalidField(`${field}.mobilePhone`, "blank", `The [${field}.mobilePhone] property is required for an sms method.`);
    return { method: "sms", mobilePhone: input.mobilePhone, name };
  }
  if (input.method === "email") {
    if (!input.email) throw invalidField(`${field}.email`, "blank", `The [${field}.email] property is required for an email method.`);
    return { method: "email", email: input.email, name };
  }
  throw invalidField(`${field}.method`, "blank", `The [${field}.method] property is required.`);
}

const MAX_DATA_BYTES = 64 * 1024;
/**
 * Far beyond real use: the structured clone that carries a record to its object and into storage
 * overflows the stack at a few thousand levels.
 */
const MAX_DATA_DEPTH = 100;
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
 * Applies the User API's legacy 2FA fields to `user`, which already carries `input`'s profile and
 * `previous`'s methods: the secret and delivery cannot change while 2FA is enabled;
 * `twoFactorEnabled: false` removes every method. Answers the key of a new legacy enrolment (one
 * authenticator method, `texted` for TextMessage), for the caller to encrypt and add; `newSecret`
 * makes the secret a TextMessage enrolment gets when it names none (randomness is the caller's).
 * Not read when `twoFactor.methods` is sent (see applyMethods).
 */
export function applyTwoFactor(user: UserRecord, previous: UserRecord | undefined, input: UserInput, newSecret: () => string): MethodDraft | null {
  if (input.twoFactor?.methods) return null;
  const enabled = previous !== undefined && twoFactorEnabled(previous);
  if (previous && enabled) {
    if (input.twoFactorEnabled === false) {
      user.twoFactor = { methods: [] };
      return null;
    }
    if (input.twoFactorSecret)
      throw invalidField(
        "user.twoFactorSecret",
        "invalid",
        "The two factor secret cannot be changed while two factor authentication is enabled. Disable it first.",
      );
    if (input.twoFactorDelivery && input.twoFactorDelivery !== legacyDelivery(previous.twoFactor.methods)) {
      throw invalidField(
        "user.twoFactorDelivery",
        "invalid",
        "The two factor delivery cannot be changed while two factor authentication is enabled. Disable it first.",
      );
    }
  }
  let enrolment: Extract<MethodDraft, { method: "authenticator" }> | null = null;
  if (!enabled && input.twoFactorEnabled) {
    const delivery = input.twoFactorDelivery ?? "None";
    // Since 1.17.0 FusionAuth generates the secret for TextMessage users when it is omitted.
    const secret = input.twoFactorSecret ?? (delivery === "TextMessage" ? newSecret() : undefined);
    if (!secret) throw invalidField("user.twoFactorSecret", "blank", "A two factor secret is required when two factor delivery is None.");
    const key = keyFromSecret(secret);
    if (!key) throw invalidField("user.twoFactorSecret", "invalid", "The two factor secret must be Base64 and decode to at least 10 bytes.");
    enrolment = { method: "authenticator", key, texted: delivery === "TextMessage" };
  }
  const texted = enrolment ? enrolment.texted : legacyDelivery(user.twoFactor.methods) === "TextMessage";
  if (texted && !user.mobilePhone) {
    throw invalidField("user.mobilePhone", "blank", "A mobile phone is required for TextMessage two factor delivery.");
  }
  return enrolment;
}

export function requireLoginId(user: Pick<UserRecord, "email" | "username">): void {
  if (!user.email && !user.username) throw invalidField("user.email", "blank", "You must specify either the [user.email] or [user.username] property.");
}

/** Refuses a `data` too large, or nested too deep for the runtime to copy it to the user's object and store it. */
export function checkDataSize(user: UserRecord): void {
  if (!user.data) return;
  if (JSON.stringify(user.data).length > MAX_DATA_BYTES)
    throw invalidField("user.data", "tooLarge", `The [user.data] property must be at most ${MAX_DATA_BYTES} bytes.`);
  if (nestedDeeperThan(user.data, MAX_DATA_DEPTH))
    throw invalidField("user.data", "invalid", `The [user.data] property may nest objects and arrays at most ${MAX_DATA_DEPTH} levels deep.`);
}

/** Whether `value` nests objects or arrays more than `levels` deep (stops looking there). */
function nestedDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== "object") return false;
  return levels === 0 || Object.values(value).some((inner) => nestedDeeperThan(inner, levels - 1));
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

/** One user of an Import API body (FusionAuth `POST /api/user/import`): a UserInput with its stored password hash. */
export type ImportedUserInput = Omit<UserInput, "password"> & {
  id?: string | null;
  /** The Base64 hash. */
  password: string;
  salt?: string | null;
  factor?: number | null;
  encryptionScheme?: string | null;
  insertInstant?: number | null;
  passwordLastUpdateInstant?: number | null;
  /** Recovery codes to keep (as the user has them, e.g. from FusionAuth 1.26+); hashed on the way in. */
  twoFactorRecoveryCodes?: string[] | null;
};

export type ImportInput = { users: ImportedUserInput[]; encryptionScheme?: string | null; factor?: number | null };
