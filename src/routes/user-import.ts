// The Import API (FusionAuth `POST /api/user/import`): users with their existing password hashes
// and legacy 2FA secrets, so nobody re-enrols when moving off FusionAuth. All or nothing: a
// duplicate or invalid user fails the whole request and nothing is kept.
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, fieldErrors, type ErrorMessage, type Errors } from "../domain/errors";
import { decodeBase64 } from "../domain/encoding";
import { MAX_PBKDF2_FACTOR, PBKDF2_SCHEME } from "../domain/password";
import { createAccount, deleteAccount } from "../storage/accounts";
import { userRepository, type LoginIdKind, type UserRecord } from "../storage/users";
import { requireApiKey } from "./auth";
import type { AppEnv } from "./context";
import { empty } from "./respond";
import { applyProfile, applyTwoFactor, checkDataSize, DEFAULT_TENANT_ID, requireLoginId, userFields } from "./user-fields";
import { fusionAuthId, readJson } from "./validate";

/** Each user costs about six KV writes and Durable Object calls; this keeps a request inside Workers' per-invocation limits. */
export const MAX_IMPORT_USERS = 100;
const PARALLEL_CREATES = 8;

const importedUser = userFields.extend({
  id: fusionAuthId.nullish(),
  password: z.string().min(1).max(512),
  salt: z.string().min(1).max(512).nullish(),
  factor: z.number().int().positive().max(MAX_PBKDF2_FACTOR, `[invalid]The factor must be at most ${MAX_PBKDF2_FACTOR}.`).nullish(),
  encryptionScheme: z.string().nullish(),
  insertInstant: z.number().int().nonnegative().nullish(),
  passwordLastUpdateInstant: z.number().int().nonnegative().nullish(),
});
const importRequest = z.object({
  users: z.array(importedUser).min(1).max(MAX_IMPORT_USERS, `[tooMany]Import at most ${MAX_IMPORT_USERS} users per request; split larger exports (see scripts/import-users.mjs).`),
  encryptionScheme: z.string().nullish(),
  factor: z.number().int().positive().max(MAX_PBKDF2_FACTOR, `[invalid]The factor must be at most ${MAX_PBKDF2_FACTOR}.`).nullish(),
  validateDbConstraints: z.boolean().nullish(),
});
type ImportRequest = z.output<typeof importRequest>;

class ImportErrors {
  private readonly errors: Record<string, ErrorMessage[]> = {};
  add(field: string, type: string, message: string): void {
    (this.errors[field] ??= []).push({ code: `[${type}]${field}`, message });
  }
  /** Re-keys a shared user rule's `user.x` errors to `users.N.x`. */
  addFrom(index: number, error: ApiError): void {
    for (const [field, messages] of Object.entries((error.body as Errors).fieldErrors ?? {})) {
      const indexed = field.replace(/^user\./, `users.${index}.`);
      for (const { code, message } of messages) (this.errors[indexed] ??= []).push({ code: code.replace(field, indexed), message });
    }
  }
  throwIfAny(): void {
    if (Object.keys(this.errors).length) throw fieldErrors(this.errors);
  }
}

async function toRecord(env: Env, request: ImportRequest, index: number, errors: ImportErrors): Promise<UserRecord | null> {
  const input = request.users[index]!;
  const scheme = input.encryptionScheme ?? request.encryptionScheme ?? PBKDF2_SCHEME;
  const factor = input.factor ?? request.factor ?? 24_000;
  if (scheme !== PBKDF2_SCHEME) errors.add(`users.${index}.encryptionScheme`, "invalid", `Only [${PBKDF2_SCHEME}] password hashes can be imported.`);
  if (!input.salt || !decodeBase64(input.salt)) errors.add(`users.${index}.salt`, "invalid", "The salt must be Base64.");
  if (!decodeBase64(input.password)) errors.add(`users.${index}.password`, "invalid", "The password must be the Base64 hash.");
  const now = Date.now();
  const user: UserRecord = {
    id: input.id ?? crypto.randomUUID(),
    tenantId: input.tenantId ?? DEFAULT_TENANT_ID,
    active: true,
    verified: true,
    passwordChangeRequired: false,
    insertInstant: input.insertInstant ?? now,
    lastUpdateInstant: now,
    passwordLastUpdateInstant: input.passwordLastUpdateInstant ?? now,
    password: { encryptionScheme: PBKDF2_SCHEME, factor, salt: input.salt ?? "", hash: input.password },
    twoFactorEnabled: false,
    twoFactorDelivery: "None",
  };
  try {
    applyProfile(user, input, true);
    requireLoginId(user);
    checkDataSize(user);
    await applyTwoFactor(env, user, undefined, input);
    return user;
  } catch (error) {
    if (!(error instanceof ApiError) || !(error.body as Errors | undefined)?.fieldErrors) throw error;
    errors.addFrom(index, error);
    return null;
  }
}

/** Duplicates within the request and against stored users, reported together before anything is written. */
async function findDuplicates(env: Env, users: UserRecord[], errors: ImportErrors): Promise<void> {
  const identifiers = (user: UserRecord) =>
    (["id", "email", "username"] as const).flatMap((kind) => (user[kind] ? [{ kind, value: user[kind]! }] : []));
  const seen = new Set<string>();
  users.forEach((user, index) => {
    for (const { kind, value } of identifiers(user)) {
      const key = `${kind}:${value.toLowerCase()}`;
      if (seen.has(key)) errors.add(`users.${index}.${kind}`, "duplicate", `The ${kind} [${value}] appears more than once in the request.`);
      seen.add(key);
    }
  });
  const repository = userRepository(env.KV);
  await Promise.all(
    users.map(async (user, index) => {
      for (const { kind, value } of identifiers(user)) {
        const exists = kind === "id" ? await repository.get(value) : await repository.idBy(kind as LoginIdKind, value);
        if (exists) errors.add(`users.${index}.${kind}`, "duplicate", `A User with ${kind} = [${value}] already exists.`);
      }
    }),
  );
}

/** Creates every user, or none: a failure (e.g. a concurrent create taking an email) rolls back the rest. */
async function createAll(env: Env, users: UserRecord[]): Promise<void> {
  const created: UserRecord[] = [];
  try {
    for (let start = 0; start < users.length; start += PARALLEL_CREATES) {
      const batch = users.slice(start, start + PARALLEL_CREATES);
      const results = await Promise.allSettled(batch.map((user) => createAccount(env, user)));
      results.forEach((result, index) => result.status === "fulfilled" && created.push(batch[index]!));
      const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
      if (failure) throw failure.reason;
    }
  } catch (error) {
    await Promise.all(created.map((user) => deleteAccount(env, user)));
    throw error;
  }
}

export const userImportRoutes = new Hono<AppEnv>().post("/user/import", requireApiKey, async (c) => {
  const request = await readJson(c, importRequest);
  const errors = new ImportErrors();
  const users = await Promise.all(request.users.map((_, index) => toRecord(c.env, request, index, errors)));
  errors.throwIfAny();
  const records = users as UserRecord[];
  await findDuplicates(c.env, records, errors);
  errors.throwIfAny();
  await createAll(c.env, records);
  return empty();
});
