// The codes the user is sent: a code to send reserved in one transaction (a pending login's, the
// user's, one to enable or disable a method), by text or email, and a reservation given back when
// the message does not go out. The Worker sends it (src/services/shared/deliver.ts) between the two.
import { accountFor, type Account } from "../../domain/account";
import { releaseSend, reserveChallengeSend, reserveMethodSend, type SentText } from "../../domain/challenges";
import { textStep } from "../../domain/codes";
import type { Config } from "../../domain/config";
import { tooManySendsProblem, twoFactorNotEnabled, type Outcome } from "../../domain/failures";
import { issueOneTimeCode } from "../../domain/method-enrolment";
import { legacySecret } from "../../domain/methods";
import { cannotSend, invalidTwoFactorId, noPhone, notFound, unknownMethod } from "../../domain/problems";
import { twoFactorEnabled } from "../../domain/user";
import type { OneTimeCodeTarget } from "../../domain/method-enrolment";
import type { Caller, CodeToSend, OneTimeCodeDraft } from "./results";
import type { SecretCache } from "./secret-cache";
import { refuse, type AccountStore, type Change } from "./store";

/** A text a decision reserved: the step of the account it committed (a legacy enrolment's code, texted to the user's mobile phone). */
export type Text = { account: Account; step: number };

export class Sends {
  constructor(
    private readonly store: AccountStore,
    private readonly config: Config,
    private readonly secrets: SecretCache,
  ) {}

  /**
   * Reserves a send for the pending login `challengeKey` (at most a few per login): a one-time code
   * (`otp`) to the phone or email method `methodId`; without one (the legacy resend), the code of a
   * legacy enrolment to the user's mobile phone, or else `otp` to their first phone method.
   */
  async forChallenge(challengeKey: string, methodId: string | undefined, otp: OneTimeCodeDraft, nowMs: number): Promise<Outcome<{ send: CodeToSend }>> {
    const reserved = await this.store.transact<Outcome<{ send: Text | CodeToSend }>>((account) => {
      if (!account) return refuse(notFound);
      if (methodId === undefined && legacySecret(account.user.twoFactor.methods) && account.user.mobilePhone) {
        const { next, outcome } = reserveChallengeSend(account, challengeKey, nowMs, this.config);
        if (outcome.outcome === "not-found") return refuse(notFound);
        if (outcome.outcome === "limited") return refuse(tooManySendsProblem(outcome.retryAfterSeconds));
        return this.reserveText(next!, nowMs);
      }
      const { next, outcome } = reserveMethodSend(account, challengeKey, methodId, otp.hash, nowMs, this.config);
      if (outcome.outcome === "not-found") return refuse(methodId === undefined ? notFound : invalidTwoFactorId);
      if (outcome.outcome === "limited") return refuse(tooManySendsProblem(outcome.retryAfterSeconds));
      if (outcome.outcome === "unknown-method") return refuse(methodId === undefined ? noPhone : unknownMethod);
      if (outcome.outcome === "cannot-send") return refuse(cannotSend);
      return { next, outcome: { ok: true, send: { to: outcome.to, code: otp.code, otpHash: otp.hash, replacedOtp: outcome.replaced } } };
    });
    return reserved.ok ? { ok: true, send: await this.text(reserved.send) } : reserved;
  }

  /**
   * Reserves a text for the user (`POST /api/two-factor/send` with a user id or JWT, legacy): the
   * current code of their legacy enrolment to their mobile phone, or else `otp` to their first phone
   * method, good for disabling it.
   */
  async forUser(caller: Caller, otp: OneTimeCodeDraft, nowMs: number): Promise<Outcome<{ send: CodeToSend }>> {
    const reserved = await this.store.transact<Outcome<{ send: Text | CodeToSend }>>((current) => {
      const account = accountFor(current, caller.tokenStamp);
      if (!account) return refuse(notFound);
      if (!twoFactorEnabled(account.user)) return refuse(twoFactorNotEnabled);
      if (legacySecret(account.user.twoFactor.methods) && account.user.mobilePhone) return this.reserveText(account, nowMs);
      const phoneMethod = account.user.twoFactor.methods.find((method) => method.method === "sms");
      if (!phoneMethod) return refuse(noPhone);
      return this.issue(account, otp, { methodId: phoneMethod.id }, nowMs);
    });
    return reserved.ok ? { ok: true, send: await this.text(reserved.send) } : reserved;
  }

  /**
   * Reserves the send of a one-time code (FusionAuth 1.26+ send): to enable a phone or email method
   * at `enable.address`, or to disable the method `methodId`. It replaces the user's earlier one.
   */
  oneTimeCode(caller: Caller, otp: OneTimeCodeDraft, target: OneTimeCodeTarget, nowMs: number): Promise<Outcome<{ send: CodeToSend }>> {
    return this.store.transact<Outcome<{ send: CodeToSend }>>((current) => {
      const account = accountFor(current, caller.tokenStamp);
      return account ? this.issue(account, otp, target, nowMs) : refuse(notFound);
    });
  }

  /** Gives back a reserved send that did not go out; `withdrawCode` when it surely never arrives (the code it replaced stands again). */
  async release(challengeKey: string | undefined, sent: SentText, withdrawCode: boolean): Promise<void> {
    await this.store.transact((account) => ({ next: account && releaseSend(account, challengeKey, sent, withdrawCode), outcome: undefined }));
  }

  /** Reserves the text of the user's next code of their legacy enrolment: the step, recorded as sent. */
  reserveText(account: Account, nowMs: number): Change<Outcome<{ send: Text }>> {
    const { next, step } = textStep(account, nowMs, this.config);
    return { next, outcome: { ok: true, send: { account: next, step } } };
  }

  /** Keeps the one-time code `otp` sent to enable or disable a method, and answers its send. */
  private issue(account: Account, otp: OneTimeCodeDraft, target: OneTimeCodeTarget, nowMs: number): Change<Outcome<{ send: CodeToSend }>> {
    const { next, outcome } = issueOneTimeCode(account, otp.hash, target, nowMs);
    if (outcome.outcome === "unknown-method") return refuse(unknownMethod);
    if (outcome.outcome === "cannot-send") return refuse(cannotSend);
    return { next, outcome: { ok: true, send: { to: outcome.to, code: otp.code, otpHash: otp.hash, replacedCode: outcome.replaced } } };
  }

  /** A reserved send, with the code of its step when it is the text of a legacy enrolment. */
  async text(reserved: Text | CodeToSend): Promise<CodeToSend> {
    if (!("account" in reserved)) return reserved;
    const { account, step } = reserved;
    return { to: { method: "sms", address: account.user.mobilePhone! }, code: await this.secrets.code(account, step), step };
  }
}
