// The export: every user in FusionAuth's Import API format (src/domain/user-export.ts), a page at a
// time, so that nothing keeps an operator here. Users are listed from their KV replicas and each is
// read whole from its Durable Object, which owns it; secrets are opened here, in the Worker.
import { openTwoFactorKey } from "../crypto/keyring";
import { exportedRecoveryCodes } from "../crypto/recovery-codes";
import { encodeBase64 } from "../domain/encoding";
import { generalFailure, invalidField } from "../domain/failures";
import { authenticators } from "../domain/methods";
import type { UserRecord } from "../domain/user";
import { importUserOf, type ImportUser } from "../domain/user-export";
import { userReplicas } from "../kv/users";
import { userGuard } from "../objects/user-guard";
import { emit } from "./shared/events";
import type { Scope } from "./shared/scope";

/** Users read from their objects at once: a page of 500 stays within Workers' limits on simultaneous work. */
const PARALLEL_READS = 8;

export type ExportPage = { users: ImportUser[]; nextCursor: string | null };

/** One page of users after `cursor`, each with a `user.export` event; a user deleted since the listing is left out. */
export async function exportUsers(scope: Scope, cursor: string | null, limit: number): Promise<ExportPage> {
  const page = await userReplicas(scope.env.KV)
    .ids(cursor, limit)
    .catch((error: unknown) => {
      // KV refuses a cursor it did not give (or one too old); without a cursor the failure is KV's own.
      if (cursor) throw invalidField("cursor", "invalid", "The [cursor] must be a nextCursor of this export.");
      throw error;
    });
  const users: ImportUser[] = [];
  for (let start = 0; start < page.ids.length; start += PARALLEL_READS) {
    const batch = await Promise.all(page.ids.slice(start, start + PARALLEL_READS).map((userId) => exportUser(scope, userId)));
    users.push(...batch.filter((user) => user !== null));
  }
  return { users, nextCursor: page.cursor };
}

async function exportUser(scope: Scope, userId: string): Promise<ImportUser | null> {
  const read = await userGuard(scope.env, userId).exportRecord();
  if (!read.ok) return null;
  const { record, recoveryCodes, user } = read;
  const exported = await importEntry(scope.env.ENCRYPTION_KEY, record, recoveryCodes).catch(() => {
    // Only a secret sealed under a key ENCRYPTION_KEY no longer holds fails to open: the export stops rather than leave it out.
    throw generalFailure(
      "KeyMissing",
      `User [${record.id}] has a secret sealed under a key that ENCRYPTION_KEY no longer holds; put the key back (GET /api/system/key-rotation names it).`,
    );
  });
  emit(scope, { type: "user.export", user, info: {} });
  return exported;
}

/** `record` as an Import API entry, its authenticators' keys and its recovery-code hashes opened. */
async function importEntry(setting: string | undefined, record: UserRecord, recoveryCodes: string[]): Promise<ImportUser> {
  const secrets = new Map<string, string>();
  for (const method of authenticators(record.twoFactor.methods)) {
    secrets.set(method.id, encodeBase64(await openTwoFactorKey(setting, record.id, method.secret)));
  }
  return importUserOf(record, secrets, await exportedRecoveryCodes(setting, record.id, recoveryCodes));
}
