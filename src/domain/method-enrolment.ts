// Methods one at a time (FusionAuth 1.26+): adding one once its code stands, the codes sent to
// enable or disable a phone or email method, naming one. Removing one is the disable's (./enrolment.ts).
import type { Config } from "./config";
import { draft, type Account, type Decision, type OneTimeCode } from "./account";
import { acceptCode, type SubmittedCode } from "./codes";
import { setMethods } from "./enrolment";
import { destinationOf, MAX_METHODS, methodAddress, methodById, withMethod, type Destination, type NewMethod } from "./methods";

export type AddVerdict =
  /** `recoveryCodes`: this was the first method, and the recovery codes were set. */
  | { outcome: "accepted"; methodId: string; recoveryCodes: boolean }
  | { outcome: "invalid-code"; counted: false }
  | { outcome: "mismatch" }
  | { outcome: "too-many" };

/**
 * Adds a method (FusionAuth 1.26+ enable) once its proof stands: for an authenticator, `code`
 * matched its new secret (`code.step`); for a phone or an address, `code` is the one-time code sent
 * there for this purpose (`code.otpHash`), used up here. The first method also gets the recovery
 * codes `recoveryHashes`. Like the legacy enable, a wrong code does not count toward the lockout.
 */
export function addMethod(
  account: Account,
  method: NewMethod,
  code: SubmittedCode,
  recoveryHashes: string[],
  nowMs: number,
  config: Config,
  drawId: () => string,
): Decision<AddVerdict> {
  const methods = account.user.twoFactor.methods;
  if (methods.length >= MAX_METHODS) return { next: null, outcome: { outcome: "too-many" } };
  const next = draft(account);
  if (method.method === "authenticator") {
    const verdict = acceptCode(next, code, nowMs, config, false);
    if (verdict.outcome !== "accepted") return { next: null, outcome: { outcome: "invalid-code", counted: false } };
  } else {
    const sent = next.guard.oneTimeCode;
    if (!sent || sent.purpose !== "enable" || sent.expiresAt <= nowMs || sent.hash !== code.otpHash) {
      return { next: null, outcome: { outcome: "invalid-code", counted: false } };
    }
    if (sent.method !== method.method || sent.value !== methodAddress(method)) return { next: null, outcome: { outcome: "mismatch" } };
    delete next.guard.oneTimeCode;
  }
  const added = withMethod(methods, method, drawId);
  setMethods(next, added, nowMs);
  const first = methods.length === 0;
  if (first) next.guard.recoveryCodes = recoveryHashes;
  return { next, outcome: { outcome: "accepted", methodId: added.at(-1)!.id, recoveryCodes: first } };
}

/** FusionAuth's default lifetime of a code sent to enable or disable a method (`twoFactorOneTimeCodeIdTimeToLiveInSeconds`). */
export const ONE_TIME_CODE_TTL_SECONDS = 60;

/** `replaced`: the code before this send, which stands again if the message never goes out. */
export type IssueVerdict = { outcome: "issued"; to: Destination; replaced?: OneTimeCode } | { outcome: "unknown-method" } | { outcome: "cannot-send" };

/** What a one-time code is sent for: to enable a phone or email method at `enable.address`, or to disable the method `methodId`. */
export type OneTimeCodeTarget = { enable: Destination } | { methodId: string };

/**
 * Keeps the code (its hash `hash`) sent to enable a phone or email method (to `enable`'s address)
 * or to disable the method `methodId` (to its address), replacing any earlier one; answers where
 * to send it.
 */
export function issueOneTimeCode(account: Account, hash: string, target: OneTimeCodeTarget, nowMs: number): Decision<IssueVerdict> {
  const expiresAt = nowMs + ONE_TIME_CODE_TTL_SECONDS * 1000;
  const next = draft(account);
  if ("enable" in target) {
    next.guard.oneTimeCode = { hash, expiresAt, purpose: "enable", method: target.enable.method, value: target.enable.address };
    return { next, outcome: { outcome: "issued", to: target.enable, replaced: account.guard.oneTimeCode } };
  }
  const method = methodById(account.user.twoFactor.methods, target.methodId);
  if (!method) return { next: null, outcome: { outcome: "unknown-method" } };
  const to = destinationOf(method);
  if (!to) return { next: null, outcome: { outcome: "cannot-send" } };
  next.guard.oneTimeCode = { hash, expiresAt, purpose: "disable", methodId: method.id };
  return { next, outcome: { outcome: "issued", to, replaced: account.guard.oneTimeCode } };
}

/** Names a method (FusionAuth 1.68 `PUT /api/user/two-factor/{userId}`). */
export function renameMethod(
  account: Account,
  methodId: string,
  name: string,
  nowMs: number,
): Decision<{ outcome: "renamed" } | { outcome: "unknown-method" }> {
  const methods = account.user.twoFactor.methods;
  if (!methodById(methods, methodId)) return { next: null, outcome: { outcome: "unknown-method" } };
  const next = draft(account);
  const renamed = methods.map((method) => (method.id === methodId ? { ...method, name } : method));
  next.user = { ...next.user, twoFactor: { methods: renamed }, lastUpdateInstant: nowMs };
  return { next, outcome: { outcome: "renamed" } };
}
