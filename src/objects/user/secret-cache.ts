// The user's TOTP keys, decrypted and imported once per authenticator method while the object stays
// in memory, and the slow inputs they give a decision: the step and method a submitted code
// matches, the code to text.
import { openTwoFactorKey } from "../../crypto/keyring";
import { recoveryCodeHashes } from "../../crypto/recovery-codes";
import { findMatchingStepIn, hotp, importTotpKey } from "../../crypto/totp";
import type { Account } from "../../domain/account";
import { acceptableSteps, type SubmittedCode } from "../../domain/codes";
import { authenticators, legacySecret } from "../../domain/methods";

export class SecretCache {
  /** Imported keys by the ciphertext they were sealed as; a changed secret is a new ciphertext. */
  private held = new Map<string, CryptoKey>();

  constructor(private readonly encryptionKey: string | undefined) {}

  /**
   * A submitted code: its stored forms if it is shaped like a recovery code, else the TOTP step it
   * matches and the authenticator it matches (only `methodId`'s, when given). Steps texted recently
   * count for the authenticator the legacy API texts only.
   */
  async submittedCode(account: Account, code: string, nowMs: number, methodId?: string): Promise<SubmittedCode> {
    const recoveryHashes = await recoveryCodeHashes(this.encryptionKey, account.user.id, code);
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
