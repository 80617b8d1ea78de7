// The Import API (FusionAuth `POST /api/user/import`): users with their existing password hashes
// and legacy 2FA secrets, so nobody re-enrols when moving off FusionAuth. All or nothing: a
// duplicate or invalid user fails the whole request and nothing is kept.
import { loginIdClaimNames } from "../crypto/login-id-name";
import { randomId } from "../crypto/random";
import { importedRecoveryCodes, sealRecoveryCodes } from "../crypto/recovery-codes";
import { decodeBase64 } from "../domain/encoding";
import { fail, Failure, type FieldProblem } from "../domain/failures";
import { loginIdSkeleton } from "../domain/login-id";
import { PBKDF2_SCHEME } from "../domain/password";
import { normalizeLoginId, twoFactorEnabled, type UserRecord } from "../domain/user";
import { RECOVERY_CODE_SCHEMES, RECOVERY_CODE_WORK_FACTOR, takeTextedMark, withTextedMethod, type RecoveryCodeScheme } from "../domain/user-export";
import { DEFAULT_TENANT_ID, type ImportedUserInput, type ImportInput } from "../domain/user-input";
import { loginIndex, userReplicas } from "../kv/users";
import { createAccount, deleteAccount, newUserRecord } from "./shared/accounts";
import type { Scope } from "./shared/scope";

/** FusionAuth's default PBKDF2 factor, for imports that name none. */
const DEFAULT_FACTOR = 24_000;

/** A recovery-code hash of either scheme: SHA-256 or HMAC-SHA256. */
const HASH_BYTES = 32;

/** Each created user costs a few Durable Object calls; batches keep a request within Workers' limits. */
const PARALLEL_CREATES = 8;

type ImportedUser = { user: UserRecord; recoveryCodes: string[] };

class ImportErrors {
  private readonly errors: FieldProblem[] = [];
  add(field: string, type: string, message: string): void {
    this.errors.push({ field, type, message });
  }
  /** Re-keys a shared user rule's `user.x` errors to `users.N.x`. */
  addFrom(index: number, problems: FieldProblem[]): void {
    for (const problem of problems) this.errors.push({ ...problem, field: problem.field.replace(/^user\./, `users.${index}.`) });
  }
  throwIfAny(): void {
    if (this.errors.length) throw fail({ kind: "invalid", errors: this.errors });
  }
}

/**
 * Imports users all or nothing: every user is checked and duplicates within the request and against
 * stored users are reported together first, then each user is created by its object, whose claims
 * are the real check; a failure part-way (e.g. a concurrent create taking an email) deletes the users
 * already created.
 */
export async function importUsers(scope: Scope, request: ImportInput): Promise<void> {
  const errors = new ImportErrors();
  const imports = (await Promise.all(request.users.map((_, index) => toImport(scope, request, index, errors)))) as ImportedUser[];
  errors.throwIfAny();
  const users = imports.map(({ user }) => user);
  findDuplicates(users, errors);
  errors.throwIfAny();
  const stored = (await Promise.all(users.map((user, index) => storedDuplicates(scope, user, index)))).flat();
  if (stored.length) throw fail({ kind: "invalid", errors: stored });
  const created: UserRecord[] = [];
  try {
    for (let start = 0; start < imports.length; start += PARALLEL_CREATES) {
      const batch = imports.slice(start, start + PARALLEL_CREATES);
      const results = await Promise.allSettled(batch.map(({ user, recoveryCodes }) => createAccount(scope, user, recoveryCodes)));
      results.forEach((result, index) => result.status === "fulfilled" && created.push(batch[index]!.user));
      const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failure) throw failure.reason;
    }
  } catch (error) {
    await Promise.all(created.map((user) => deleteAccount(scope, user.id)));
    throw error;
  }
}

async function toImport(scope: Scope, request: ImportInput, index: number, errors: ImportErrors): Promise<ImportedUser | null> {
  const input = request.users[index]!;
  const scheme = input.encryptionScheme ?? request.encryptionScheme ?? PBKDF2_SCHEME;
  const factor = input.factor ?? request.factor ?? DEFAULT_FACTOR;
  if (scheme !== PBKDF2_SCHEME) errors.add(`users.${index}.encryptionScheme`, "invalid", `Only [${PBKDF2_SCHEME}] password hashes can be imported.`);
  if (!input.salt || !decodeBase64(input.salt)) errors.add(`users.${index}.salt`, "invalid", "The salt must be Base64.");
  if (!decodeBase64(input.password)) errors.add(`users.${index}.password`, "invalid", "The password must be the Base64 hash.");
  // A legacy TextMessage enrolment, as this service's export marks it in `data`.
  const { data, textedMethod } = takeTextedMark(input.data);
  const { password: _hash, ...profile } = { ...input, data };
  try {
    const created = await newUserRecord(scope, profile, {
      id: input.id ?? randomId(),
      tenantId: input.tenantId ?? DEFAULT_TENANT_ID,
      password: { encryptionScheme: PBKDF2_SCHEME, factor, salt: input.salt ?? "", hash: input.password },
      insertInstant: input.insertInstant ?? scope.now,
      passwordLastUpdateInstant: input.passwordLastUpdateInstant ?? scope.now,
    });
    const user = textedMethod === null ? created : withTextedMethod(created, textedMethod);
    return { user, recoveryCodes: await recoveryCodes(scope, user, input, index, errors) };
  } catch (error) {
    if (!(error instanceof Failure) || error.problem.kind !== "invalid") throw error;
    errors.addFrom(index, error.problem.errors);
    return null;
  }
}

/**
 * The stored forms of a user's recovery codes; they need 2FA enabled and must each be a recovery
 * code, or with `twoFactor.recoveryCodeEncryptionScheme` the Base64 hash of one (see src/domain/user-export.ts).
 */
async function recoveryCodes(scope: Scope, user: UserRecord, input: ImportedUserInput, index: number, errors: ImportErrors): Promise<string[]> {
  const codes = input.twoFactorRecoveryCodes ?? input.twoFactor?.recoveryCodes ?? [];
  const scheme = input.twoFactor?.recoveryCodeEncryptionScheme;
  const field = `users.${index}.twoFactor.recoveryCodeEncryptionScheme`;
  if (scheme != null && !RECOVERY_CODE_SCHEMES.includes(scheme as RecoveryCodeScheme)) {
    errors.add(field, "invalid", `Recovery codes can be imported as typed or hashed under ${RECOVERY_CODE_SCHEMES.join(" or ")}.`);
  }
  const workFactor = input.twoFactor?.recoveryCodeWorkFactor;
  if (workFactor != null && workFactor !== RECOVERY_CODE_WORK_FACTOR) {
    errors.add(`users.${index}.twoFactor.recoveryCodeWorkFactor`, "invalid", `The recovery-code schemes have a work factor of ${RECOVERY_CODE_WORK_FACTOR}.`);
  }
  if (!codes.length) return [];
  const codesField = `users.${index}.twoFactorRecoveryCodes`;
  if (!twoFactorEnabled(user)) errors.add(codesField, "invalid", "Recovery codes need [twoFactorEnabled] and a [twoFactorSecret].");
  if (scheme != null) {
    const hashes = codes.map(decodeBase64);
    if (hashes.some((hash) => hash?.length !== HASH_BYTES))
      errors.add(`users.${index}.twoFactor.recoveryCodes`, "invalid", "Each hashed recovery code must be 32 bytes in Base64.");
    const known = RECOVERY_CODE_SCHEMES.includes(scheme as RecoveryCodeScheme) && hashes.every((hash) => hash?.length === HASH_BYTES);
    return known ? importedRecoveryCodes(scope.env.ENCRYPTION_KEY, user.id, scheme as RecoveryCodeScheme, hashes as Uint8Array[]) : [];
  }
  const hashes = await sealRecoveryCodes(scope.env.ENCRYPTION_KEY, user.id, codes);
  if (!hashes) errors.add(codesField, "invalid", "Each recovery code must be 10 Base32 characters (Crockford's or RFC 4648's), grouped or not.");
  return hashes ?? [];
}

/** Duplicates within the request, reported together before anything is written. */
function findDuplicates(users: UserRecord[], errors: ImportErrors): void {
  const seen = new Set<string>();
  users.forEach((user, index) => {
    for (const kind of ["id", "email", "username"] as const) {
      const value = user[kind];
      if (!value) continue;
      // Emails and usernames are one namespace of login ids, which meet in their folded forms and skeletons.
      const keys = kind === "id" ? [`id:${value.toLowerCase()}`] : [normalizeLoginId(value), loginIdSkeleton(value)].map((form) => `login:${form}`);
      if (keys.some((key) => seen.has(key))) errors.add(`users.${index}.${kind}`, "duplicate", `The ${kind} [${value}] appears more than once in the request.`);
      for (const key of keys) seen.add(key);
    }
  });
}

/** Duplicates against stored users, read from the replica (the objects' claims decide in the end). */
async function storedDuplicates(scope: Scope, user: UserRecord, index: number): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  const duplicate = (kind: string, value: string) =>
    problems.push({ field: `users.${index}.${kind}`, type: "duplicate", message: `A User with ${kind} = [${value}] already exists.` });
  if (await userReplicas(scope.env.KV).get(user.id)) duplicate("id", user.id);
  for (const kind of ["email", "username"] as const) {
    const value = user[kind];
    if (!value) continue;
    // The skeleton's name is indexed when a stored id is that form (e.g. the ASCII id a lookalike imitates).
    const owners = await Promise.all((await loginIdClaimNames(value)).map((name) => loginIndex(scope.env.KV).userIdFor(name)));
    if (owners.some(Boolean)) duplicate(kind, value);
  }
  return problems;
}
