// The user's TOTP key, decrypted and imported once per enrolment while the object stays in memory,
// and the slow inputs it gives a decision: the step a submitted code matches, the code to text.
import { openTwoFactorKey } from "../../crypto/keyring";
import { recoveryCodeHashes } from "../../crypto/recovery-codes";
import { findMatchingStepIn, hotp, importTotpKey } from "../../crypto/totp";
import type { Account } from "../../domain/account";
import { acceptableSteps, type SubmittedCode } from "../../domain/codes";

export class SecretCache {
  /** The key of the enrolment sealed as `ciphertext`. */
  private held: { ciphertext: string; key: CryptoKey } | null = null;

  constructor(private readonly encryptionKey: string | undefined) {}

  /** A submitted code: the TOTP step it matches, and its stored form if it is shaped like a recovery code. */
  async submittedCode(account: Account, code: string, nowMs: number): Promise<SubmittedCode> {
    const recoveryHashes = await recoveryCodeHashes(this.encryptionKey, account.user.id, code);
    if (recoveryHashes) return { code, step: null, recoveryHashes };
    const ciphertext = account.user.twoFactorSecret;
    if (!ciphertext) return { code, step: null };
    return { code, step: await findMatchingStepIn(await this.key(account.user.id, ciphertext), code, acceptableSteps(nowMs, account.guard.smsCodes)) };
  }

  /** The code of time step `step` of the account's enrolment. */
  async code(account: Account, step: number): Promise<string> {
    return hotp(await this.key(account.user.id, account.user.twoFactorSecret!), step);
  }

  clear(): void {
    this.held = null;
  }

  private async key(userId: string, ciphertext: string): Promise<CryptoKey> {
    if (this.held?.ciphertext !== ciphertext) {
      const secret = await openTwoFactorKey(this.encryptionKey, userId, ciphertext);
      this.held = { ciphertext, key: await importTotpKey(secret) };
    }
    return this.held.key;
  }
}
