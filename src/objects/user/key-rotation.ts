// The user's secrets re-sealed under ENCRYPTION_KEY's current key: its authenticators' keys and its
// sealed recovery-code hashes. The object does it when it starts (the user's next touch) and when the
// sweep asks (src/services/key-rotation.ts); either way it answers which keys its values use after.
import { keyIdsOf, resealed } from "../../crypto/keyring";
import type { Account } from "../../domain/account";
import { isSealedRecoveryHash } from "../../crypto/recovery-codes";
import { countKeys, type UserKeyUsage } from "../../domain/key-rotation";
import { recoveryCodeContext, secretContext } from "../../domain/user";
import { unchanged, type AccountStore } from "./store";

const secretsOf = (account: Account): string[] =>
  account.user.twoFactor.methods.flatMap((method) => (method.method === "authenticator" ? [method.secret] : []));

/** Which keys the account's sealed values use; recovery codes kept as HMACs (not sealed) apart. */
export function keyUsageOf(account: Account): UserKeyUsage {
  const { recoveryCodes } = account.guard;
  return {
    keys: countKeys([...secretsOf(account), ...recoveryCodes]),
    hmacRecoveryCodes: recoveryCodes.filter((code) => !isSealedRecoveryHash(code)).length,
  };
}

export class KeyRotation {
  constructor(
    private readonly store: AccountStore,
    private readonly encryptionKey: string | undefined,
  ) {}

  /** Whether the account holds a value sealed under a key other than the current one (a few string splits). */
  stale(): boolean {
    const account = this.store.account;
    if (!account || !this.encryptionKey) return false;
    const current = keyIdsOf(this.encryptionKey)[0];
    return Object.keys(keyUsageOf(account).keys).some((keyId) => keyId !== current);
  }

  /**
   * Re-seals what the current key did not seal, in one write, and answers the keys used after (null:
   * no account). A value whose key is missing from the setting cannot be opened: it stays as it is,
   * and the answer counts it under that key. A change made meanwhile wins; the next touch re-seals.
   */
  async rotate(): Promise<UserKeyUsage | null> {
    const before = this.store.account;
    if (!before) return null;
    const userId = before.user.id;
    const reseal = (value: string, context: string) => resealed(this.encryptionKey, value, context).catch(() => value);
    const secrets = new Map(await Promise.all(secretsOf(before).map(async (secret) => [secret, await reseal(secret, secretContext(userId))] as const)));
    const recoveryCodes = await Promise.all(
      before.guard.recoveryCodes.map((code) => (isSealedRecoveryHash(code) ? reseal(code, recoveryCodeContext(userId)) : code)),
    );
    const changed = [...secrets].some(([old, now]) => old !== now) || recoveryCodes.some((code, index) => code !== before.guard.recoveryCodes[index]);
    if (changed) {
      const methods = before.user.twoFactor.methods.map((method) =>
        method.method === "authenticator" ? { ...method, secret: secrets.get(method.secret)! } : method,
      );
      // The public record does not change: same version, no replica write.
      await this.store.transact((account) =>
        account === before
          ? {
              next: { ...account, user: { ...account.user, twoFactor: { ...account.user.twoFactor, methods } }, guard: { ...account.guard, recoveryCodes } },
              outcome: undefined,
            }
          : unchanged(undefined),
      );
    }
    const after = this.store.account;
    return after && keyUsageOf(after);
  }
}
