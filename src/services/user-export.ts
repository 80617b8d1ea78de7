// The export: every user in FusionAuth's Import API format (src/domain/user-export.ts), a page at a
// time, so that nothing keeps an operator here. Users are listed from their KV replicas and each is
// read whole from its Durable Object, which owns it; secrets are opened here, in the Worker.
import { openTwoFactorKey } from "../crypto/keyring";
import { exportedRecoveryCodes } from "../crypto/recovery-codes";
import { encodeBase64 } from "../domain/encoding";
import { invalidField } from "../domain/failures";
import { authenticators } from "../domain/methods";
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
  const setting = scope.env.ENCRYPTION_KEY;
  const secrets = new Map<string, string>();
  for (const method of authenticators(record.twoFactor.methods)) {
    secrets.set(method.id, encodeBase64(await openTwoFactorKey(setting, record.id, method.secret)));
  }
  const exported = importUserOf(record, secrets, await exportedRecoveryCodes(setting, record.id, recoveryCodes));
  emit(scope, { type: "user.export", user, info: {} });
  return exported;
}
