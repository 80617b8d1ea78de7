// The user's second factors changing: the legacy enable, a method added (FusionAuth 1.26+), a
// disable (legacy, or one method by id). Each first computes its slow inputs (the TOTP match, a
// sealed key, HMACs of the code), then decides and writes in one transaction; the object runs them
// one at a time (UserGuard.serialized), since they read before those awaits.
import { sealAuthenticator } from "../../crypto/keyring";
import { oneTimeCodeHash } from "../../crypto/one-time-codes";
import { newMethodId, newTokenStamp } from "../../crypto/random";
import { findMatchingStepIn } from "../../crypto/totp";
import { accountFor, type SentCode } from "../../domain/account";
import { acceptableSteps } from "../../domain/codes";
import type { Config } from "../../domain/config";
import { disableTwoFactor, enableTwoFactor } from "../../domain/enrolment";
import { twoFactorNotEnabled, type Outcome } from "../../domain/failures";
import { addMethod } from "../../domain/method-enrolment";
import { addressMismatch, codeProblem, needsPhone, notFound, tooManyMethods, twoFactorAlreadyEnabled, unknownMethod } from "../../domain/problems";
import { revokedTrustCount } from "../../domain/trust";
import { twoFactorEnabled, type TwoFactorDelivery } from "../../domain/user";
import type { Added, Caller, CodeChecked, Disabled, MethodToAdd } from "./results";
import type { SecretCache } from "./secret-cache";
import { codeRefused, failed, refuse, type AccountStore } from "./store";

export class Enrolment {
  constructor(
    private readonly store: AccountStore,
    private readonly config: Config,
    private readonly secrets: SecretCache,
    private readonly encryptionKey: string | undefined,
  ) {}

  /** Enables 2FA (legacy) once `code` proves the user holds `key`. `smsCodes`: steps the enable helper texted. */
  async enable(caller: Caller, key: Uint8Array, code: string, delivery: TwoFactorDelivery, nowMs: number, smsCodes: SentCode[]): Promise<Outcome<object>> {
    const before = accountFor(this.store.account, caller.tokenStamp);
    if (!before) return failed(notFound);
    const step = await findMatchingStepIn(key, code, acceptableSteps(nowMs, smsCodes));
    const { secret } = (await sealAuthenticator(this.encryptionKey, before.user.id, { key })) as { secret: string };
    return this.store.transact<Outcome<object>>((account) => {
      if (!account) return refuse(notFound);
      const { next, outcome } = enableTwoFactor(account, { code, step }, { delivery, secret }, nowMs, this.config, newMethodId);
      if (outcome.outcome === "accepted") return { next, outcome: { ok: true }, replicate: "now" };
      if (outcome.outcome === "already-enabled") return refuse(twoFactorAlreadyEnabled);
      return refuse(outcome.outcome === "needs-phone" ? needsPhone : codeProblem(outcome));
    });
  }

  /**
   * Adds a method (FusionAuth 1.26+ enable): an authenticator holding `key`, proven by a current
   * code of it; a phone or an email address, proven by the one-time code sent to it. The first
   * method gets the recovery codes whose stored forms are `recoveryHashes`.
   */
  async addMethod(caller: Caller, method: MethodToAdd, code: string, recoveryHashes: string[], nowMs: number): Promise<Outcome<Added>> {
    const before = accountFor(this.store.account, caller.tokenStamp);
    if (!before) return failed(notFound);
    const userId = before.user.id;
    const submitted =
      method.method === "authenticator"
        ? { code, step: await findMatchingStepIn(method.key, code, acceptableSteps(nowMs, [])) }
        : { code, step: null, otpHash: await oneTimeCodeHash(this.encryptionKey, userId, code, before.guard.oneTimeCode?.hash) };
    const adding = method.method === "authenticator" ? await sealAuthenticator(this.encryptionKey, userId, method) : method;
    return this.store.transact<Outcome<Added>>((account) => {
      if (!account) return refuse(notFound);
      const { next, outcome } = addMethod(account, adding, submitted, recoveryHashes, nowMs, this.config, newMethodId);
      if (outcome.outcome === "accepted")
        return { next, outcome: { ok: true, methodId: outcome.methodId, recoveryCodes: outcome.recoveryCodes }, replicate: "now" };
      if (outcome.outcome === "too-many") return refuse(tooManyMethods);
      if (outcome.outcome === "mismatch") return refuse(addressMismatch(method.method === "email" ? "email" : "mobilePhone"));
      return refuse(codeProblem(outcome));
    });
  }

  /**
   * Disables 2FA (legacy), or with `methodId` removes that method (1.26+), when `code` is a current
   * code of it, the code sent to disable it, or a recovery code (which removes every method).
   * Answers what was removed and how many valid trusted devices went with it. An admin's disable
   * (an API key) also ends the user's access tokens when no method is left.
   */
  async disable(caller: Caller, code: string, nowMs: number, methodId?: string): Promise<CodeChecked<Disabled>> {
    const before = accountFor(this.store.account, caller.tokenStamp);
    if (!before) return failed(notFound);
    if (!twoFactorEnabled(before.user)) return failed(twoFactorNotEnabled);
    const submitted = await this.secrets.submittedCode(before, code, nowMs, methodId);
    if (before.guard.oneTimeCode) submitted.otpHash = await oneTimeCodeHash(this.encryptionKey, before.user.id, code, before.guard.oneTimeCode.hash);
    const admin = caller.tokenStamp === undefined;
    return this.store.transact<CodeChecked<Disabled>>((account) => {
      if (!account) return refuse(notFound);
      const { next, outcome } = disableTwoFactor(account, submitted, nowMs, this.config, admin ? newTokenStamp : undefined, methodId);
      if (outcome.outcome === "accepted") {
        const left = new Set(next!.user.twoFactor.methods.map((method) => method.id));
        const disabled = {
          recoveryCode: outcome.recoveryCode === true,
          removed: account.user.twoFactor.methods.filter((method) => !left.has(method.id)),
          trustRevoked: revokedTrustCount(account, next!, nowMs),
        };
        return { next, outcome: { ok: true, ...disabled }, replicate: "now" };
      }
      if (outcome.outcome === "not-enabled") return refuse(twoFactorNotEnabled);
      if (outcome.outcome === "unknown-method") return refuse(unknownMethod);
      return { next, outcome: codeRefused(outcome) };
    });
  }
}
