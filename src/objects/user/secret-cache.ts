// The user's TOTP keys, decrypted and imported once per authenticator method, and the inner hashes
// of their sealed recovery codes, opened once per entry, while the object stays in memory; and the
// slow inputs they give a decision: the step and method a submitted code matches, the recovery codes
// it matches, the code to text.
import { timingSafeEqual } from "../../crypto/compare";
import { openTwoFactorKey } from "../../crypto/keyring";
import { isSealedRecoveryHash, openRecoveryHash, recoveryCodeCandidates } from "../../crypto/recovery-codes";
import { findMatchingStepIn, hotp, importTotpKey } from "../../crypto/totp";
import type { Account } from "../../domain/account";
import { acceptableSteps, type SubmittedCode } from "../../domain/codes";
import { authenticators, legacySecret } from "../../domain/methods";

export class SecretCache {
  /** Imported keys by the ciphertext they were sealed as; a changed secret is a new ciphertext. */
  private held = new Map<string, CryptoKey>();
  /** Opened inner hashes by the sealed recovery-code entry that holds them. */
  private openedCodes = new Map<string, Uint8Array>();

  constructor(private readonly encryptionKey: string | undefined) {}

  /**
   * A submitted code: the stored recovery codes it matches if it is shaped like a recovery code, else
   * the TOTP step it matches and the authenticator it matches (only `methodId`'s, when given). Steps
   * texted recently count for the authenticator the legacy API texts only.
   */
  async submittedCode(account: Account, code: string, nowMs: number, methodId?: string): Promise<SubmittedCode> {
    const recoveryHashes = await this.matchingRecoveryCodes(account, code);
    if (recoveryHashes) return { code, step: null, recoveryHashes };
    const methods = account.user.twoFactor.methods;
    const texted = legacySecret(methods);
    for (const method of authenticators(methods)) {
      if (methodId !== undefined && method.id !== methodId) continue;
      const steps = acceptableSteps(nowMs, method === texted ? account.guard.smsCodes : []);
      const step = await findMatchingStepIn(await this.key(account.user.id, method.secret), code, steps);
      if (step !== null) return { code, step, methodId: method.id };
    }
    return { code, step: null };
  }

  /** The code of time step `step` of the authenticator the legacy API texts. */
  async code(account: Account, step: number): Promise<string> {
    return hotp(await this.key(account.user.id, legacySecret(account.user.twoFactor.methods)!.secret), step);
  }

  clear(): void {
    this.held.clear();
    this.openedCodes.clear();
  }

  /** The stored entries (account.guard.recoveryCodes) a code typed as `code` matches; null when it cannot be a recovery code. */
  private async matchingRecoveryCodes(account: Account, code: string): Promise<string[] | null> {
    const { id } = account.user;
    const stored = account.guard.recoveryCodes;
    const candidates = await recoveryCodeCandidates(this.encryptionKey, id, code, !stored.every(isSealedRecoveryHash));
    if (!candidates) return null;
    const matching: string[] = [];
    for (const entry of stored) {
      if (!isSealedRecoveryHash(entry)) {
        if (candidates.macs.some((mac) => timingSafeEqual(mac, entry))) matching.push(entry);
        continue;
      }
      const opened = await this.openedCode(id, entry);
      if (candidates.hashes.some((hash) => timingSafeEqual(hash, opened))) matching.push(entry);
    }
    return matching;
  }

  private async openedCode(userId: string, entry: string): Promise<Uint8Array> {
    let hash = this.openedCodes.get(entry);
    if (!hash) {
      hash = await openRecoveryHash(this.encryptionKey, userId, entry);
      this.openedCodes.set(entry, hash);
    }
    return hash;
  }

  private async key(userId: string, ciphertext: string): Promise<CryptoKey> {
    let key = this.held.get(ciphertext);
    if (!key) {
      key = await importTotpKey(await openTwoFactorKey(this.encryptionKey, userId, ciphertext));
      this.held.set(ciphertext, key);
    }
    return key;
  }
}
