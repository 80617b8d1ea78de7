// A user's 2FA enrolment: the legacy enable (a code proves the new secret), disable or remove a
// method (a code or a recovery code), recovery codes, and the User API's record replacement, which
// keeps the guard consistent. Adding methods one at a time is ./method-enrolment.ts.
import type { Config } from "./config";
import { draft, keepIf, type Account, type Decision } from "./account";
import { acceptCode, type CodeVerdict, type SubmittedCode } from "./codes";
import { methodById, withMethod, type NewMethod, type TwoFactorMethod } from "./methods";
import { twoFactorEnabled, type TwoFactorDelivery, type UserRecord } from "./user";

/** A code that was not accepted. */
export type RefusedCode = Exclude<CodeVerdict, { outcome: "accepted" }>;

/** A refused code's decision: the draft is kept only when the code counted toward the lockout. */
const refused = (next: Account, verdict: RefusedCode): Decision<RefusedCode> => keepIf(next, verdict.outcome === "invalid-code" && verdict.counted, verdict);

export type RecoveryCodesVerdict = { outcome: "replaced" } | { outcome: "not-enabled" } | RefusedCode;

/**
 * Replaces the user's recovery codes with `hashes` (FusionAuth: each generation replaces the last),
 * once `proof`, when there is one, is accepted as a disable's code is: a new set turns 2FA off as
 * surely as a code does, so the user's own call must prove the second factor (see UserGuard).
 */
export function replaceRecoveryCodes(
  account: Account,
  hashes: string[],
  proof: SubmittedCode | null,
  nowMs: number,
  config: Config,
): Decision<RecoveryCodesVerdict> {
  if (!twoFactorEnabled(account.user)) return { next: null, outcome: { outcome: "not-enabled" } };
  const next = draft(account);
  const verdict = proof && acceptCode(next, proof, nowMs, config, true);
  if (verdict && verdict.outcome !== "accepted") return refused(next, verdict);
  next.guard.recoveryCodes = hashes;
  return { next, outcome: { outcome: "replaced" } };
}

export type EnableVerdict = CodeVerdict | { outcome: "already-enabled" } | { outcome: "needs-phone" };

/**
 * The legacy enable: 2FA, off until now, becomes one authenticator method holding `secret` (texted
 * to the user's mobile phone by a TextMessage enrolment) once `code` proves the user holds it; the
 * code counts as used. `drawId` makes method id candidates.
 */
export function enableTwoFactor(
  account: Account,
  code: SubmittedCode,
  enrolment: { delivery: TwoFactorDelivery; secret: string },
  nowMs: number,
  config: Config,
  drawId: () => string,
): Decision<EnableVerdict> {
  if (twoFactorEnabled(account.user)) return { next: null, outcome: { outcome: "already-enabled" } };
  if (enrolment.delivery === "TextMessage" && !account.user.mobilePhone) return { next: null, outcome: { outcome: "needs-phone" } };
  const next = draft(account);
  const verdict = acceptCode(next, code, nowMs, config, false);
  if (verdict.outcome !== "accepted") return { next: null, outcome: verdict };
  const method: NewMethod = { method: "authenticator", secret: enrolment.secret, ...(enrolment.delivery === "TextMessage" && { texted: true as const }) };
  return { next: setMethods(next, withMethod([], method, drawId), nowMs), outcome: verdict };
}

export type DisableVerdict = CodeVerdict | { outcome: "not-enabled" } | { outcome: "unknown-method" };

/**
 * Disables 2FA, or with `methodId` (FusionAuth 1.26+) removes that one method, when `code` is a
 * current code of it (or, for the legacy disable, of any method), the one-time code sent to disable
 * it, or a recovery code, which removes every method (FusionAuth). `newTokenStamp` is given for an
 * admin's disable (an API key), which also ends the user's access tokens, as the admin reset does;
 * the user's own (an access token and a code) keeps them.
 */
export function disableTwoFactor(
  account: Account,
  code: SubmittedCode,
  nowMs: number,
  config: Config,
  newTokenStamp?: () => string,
  methodId?: string,
): Decision<DisableVerdict> {
  const methods = account.user.twoFactor.methods;
  if (!methods.length) return { next: null, outcome: { outcome: "not-enabled" } };
  if (methodId !== undefined && !methodById(methods, methodId)) return { next: null, outcome: { outcome: "unknown-method" } };
  const next = draft(account);
  const sent = next.guard.oneTimeCode;
  const disableCode =
    sent?.purpose === "disable" && sent.expiresAt > nowMs && (methodId === undefined || sent.methodId === methodId) && methodById(methods, sent.methodId)
      ? { hash: sent.hash, methodId: sent.methodId }
      : undefined;
  const totp = methodId === undefined || code.methodId === methodId ? code : { ...code, step: null };
  const verdict = acceptCode(next, totp, nowMs, config, true, false, disableCode);
  if (verdict.outcome !== "accepted") return refused(next, verdict);
  if (disableCode && verdict.methodId === disableCode.methodId && !verdict.recoveryCode && code.otpHash === disableCode.hash) delete next.guard.oneTimeCode;
  const remaining = methodId === undefined || verdict.recoveryCode ? [] : methods.filter((method) => method.id !== methodId);
  // Removing one of several methods leaves 2FA on: the user's access tokens stand.
  if (newTokenStamp && !remaining.length) next.guard.tokenStamp = newTokenStamp();
  return { next: setMethods(next, remaining, nowMs), outcome: verdict };
}

/**
 * Sets the user's methods on a draft. Any change revokes every pending login; none left also
 * revokes trust ids, recovery codes and sent codes, so nothing from the old enrolment works
 * afterwards (the admin reset).
 */
export function setMethods(next: Account, methods: TwoFactorMethod[], nowMs: number): Account {
  next.user = { ...next.user, twoFactor: { methods }, lastUpdateInstant: nowMs };
  next.guard.generation += 1;
  next.guard.challenges = {};
  if (!methods.length) {
    next.guard.trust = {};
    next.guard.recoveryCodes = [];
    next.guard.smsCodes = [];
    delete next.guard.oneTimeCode;
    delete next.guard.lastUsedMethodId;
  }
  return next;
}

/**
 * Replaces the user record (User API), keeping the guard consistent with it: a changed enrolment is
 * set as by `setEnrolment`; a new password or a deactivation ends pending logins and trust ids; those
 * and 2FA turned off (the admin reset) end access tokens, with a stamp from `newTokenStamp`.
 */
export function replaceUser(account: Account, user: UserRecord, nowMs: number, newTokenStamp: () => string): Account {
  let next = draft(account);
  const before = account.user;
  if (user.twoFactor.methods !== before.twoFactor.methods) next = setMethods(next, user.twoFactor.methods, nowMs);
  // By the hash (a new password always gets a new salt), not the instant: two changes can share a millisecond.
  const passwordChanged = user.password.hash !== before.password.hash;
  const deactivated = before.active && !user.active;
  if (passwordChanged || deactivated) {
    next.guard.challenges = {};
    next.guard.trust = {};
  }
  const twoFactorOff = twoFactorEnabled(before) && !twoFactorEnabled(user);
  if (passwordChanged || deactivated || twoFactorOff) next.guard.tokenStamp = newTokenStamp();
  // An admin setting a new password lifts the password locks; switching 2FA off, the code locks.
  for (const counters of [next.guard, next.guard.familiar]) {
    if (passwordChanged) counters.password = { failures: [], lockedUntil: 0 };
    if (twoFactorOff) Object.assign(counters, { consecutiveCodeFailures: 0, codeLockedUntil: 0, lastWrongCode: undefined });
  }
  next.user = user;
  return next;
}
