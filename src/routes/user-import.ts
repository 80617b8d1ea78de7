// The Import API (FusionAuth `POST /api/user/import`): users with their existing password hashes
// and legacy 2FA secrets, so nobody re-enrols when moving off FusionAuth. All or nothing: a
// duplicate or invalid user fails the whole request and nothing is kept.
import { Hono } from "hono";
import { z } from "zod";
import type { Config } from "../domain/config";
import { decodeBase64 } from "../domain/encoding";
import { fail, Failure, type FieldProblem } from "../domain/failures";
import { PBKDF2_SCHEME } from "../domain/password";
import { applyProfile, applyTwoFactor, checkDataSize, DEFAULT_TENANT_ID, requireLoginId } from "../domain/user-input";
import { normalizeLoginId, type UserRecord } from "../domain/user";
import { hashRecoveryCodes } from "../crypto/recovery-codes";
import { sealTwoFactorKey } from "../crypto/keyring";
import { newTotpSecret } from "../crypto/random";
import { checkMobilePhone, importUsers, type ImportedUser } from "../services/accounts";
import { requireApiKey } from "./http/auth";
import type { AppEnv } from "./http/context";
import { empty } from "./http/respond";
import { importRequest } from "./http/requests";
import { readJson } from "./http/validate";

type ImportRequest = z.output<typeof importRequest>;

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

async function toImport(env: Env, config: Config, request: ImportRequest, index: number, errors: ImportErrors): Promise<ImportedUser | null> {
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
    checkMobilePhone(config, user.mobilePhone);
    const key = applyTwoFactor(user, undefined, input, newTotpSecret().secret);
    if (key) user.twoFactorSecret = await sealTwoFactorKey(env.ENCRYPTION_KEY, user.id, key);
    return { user, recoveryCodes: await recoveryCodes(env, user, input.twoFactorRecoveryCodes ?? [], index, errors) };
  } catch (error) {
    if (!(error instanceof Failure) || error.problem.kind !== "invalid") throw error;
    errors.addFrom(index, error.problem.errors);
    return null;
  }
}

/** The stored forms of a user's recovery codes; they need 2FA enabled and must each be a recovery code. */
async function recoveryCodes(env: Env, user: UserRecord, codes: string[], index: number, errors: ImportErrors): Promise<string[]> {
  if (!codes.length) return [];
  const field = `users.${index}.twoFactorRecoveryCodes`;
  if (!user.twoFactorEnabled) errors.add(field, "invalid", "Recovery codes need [twoFactorEnabled] and a [twoFactorSecret].");
  const hashes = await hashRecoveryCodes(env.ENCRYPTION_KEY, user.id, codes);
  if (!hashes) errors.add(field, "invalid", "Each recovery code must be 10 Base32 characters (A–Z, 2–7), grouped or not.");
  return hashes ?? [];
}

/** Duplicates within the request, reported together before anything is written. */
function findDuplicates(users: UserRecord[], errors: ImportErrors): void {
  const seen = new Set<string>();
  users.forEach((user, index) => {
    for (const kind of ["id", "email", "username"] as const) {
      const value = user[kind];
      // Emails and usernames are one namespace of login ids.
      const key = value && (kind === "id" ? `id:${value.toLowerCase()}` : `login:${normalizeLoginId(value)}`);
      if (key && seen.has(key)) errors.add(`users.${index}.${kind}`, "duplicate", `The ${kind} [${value}] appears more than once in the request.`);
      if (key) seen.add(key);
    }
  });
}

export const userImportRoutes = new Hono<AppEnv>().post("/user/import", requireApiKey, async (c) => {
  const request = await readJson(c, importRequest);
  const errors = new ImportErrors();
  const imports = (await Promise.all(request.users.map((_, index) => toImport(c.env, c.var.scope.config, request, index, errors)))) as ImportedUser[];
  errors.throwIfAny();
  findDuplicates(
    imports.map(({ user }) => user),
    errors,
  );
  errors.throwIfAny();
  await importUsers(c.env, imports);
  return empty();
});
