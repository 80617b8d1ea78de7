// A user's 2FA enrolment: enable (a code proves the new secret), disable (a code or a recovery
// code), recovery codes, and the User API's record replacement, which keeps the guard consistent.
import type { Config } from "./config";
import { draft, keepIf, type Account, type Decision } from "./account";
import { acceptCode, type CodeVerdict, type SubmittedCode } from "./codes";
import type { TwoFactorDelivery, UserRecord } from "./user";

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
  if (!account.user.twoFactorEnabled) return { next: null, outcome: { outcome: "not-enabled" } };
  const next = draft(account);
  const verdict = proof && acceptCode(next, proof, nowMs, config, true);
  if (verdict && verdict.outcome !== "accepted") return refused(next, verdict);
  next.guard.recoveryCodes = hashes;
  return { next, outcome: { outcome: "replaced" } };
}

export type EnableVerdict = CodeVerdict | { outcome: "already-enabled" } | { outcome: "needs-phone" };

/** Enables 2FA once `step` proves the user holds the new secret; the code counts as used. */
export function enableTwoFactor(
  account: Account,
  code: SubmittedCode,
  enrolment: { delivery: TwoFactorDelivery; secret: string },
  nowMs: number,
  config: Config,
): Decision<EnableVerdict> {
  if (account.user.twoFactorEnabled) return { next: null, outcome: { outcome: "already-enabled" } };
  if (enrolment.delivery === "TextMessage" && !account.user.mobilePhone) return { next: null, outcome: { outcome: "needs-phone" } };
  const next = draft(account);
  const verdict = acceptCode(next, code, nowMs, config, false);
  if (verdict.outcome !== "accepted") return { next: null, outcome: verdict };
  return { next: setEnrolment(next, enrolment, nowMs), outcome: verdict };
}

export type DisableVerdict = CodeVerdict | { outcome: "not-enabled" };

/**
 * Disables 2FA when `code` is a current code of the user's secret. `newTokenStamp` is given for an
 * admin's disable (an API key), which also ends the user's access tokens, as the admin reset does;
 * the user's own (an access token and a code) keeps them.
 */
export function disableTwoFactor(account: Account, code: SubmittedCode, nowMs: number, config: Config, newTokenStamp?: () => string): Decision<DisableVerdict> {
  if (!account.user.twoFactorEnabled) return { next: null, outcome: { outcome: "not-enabled" } };
  const next = draft(account);
  const verdict = acceptCode(next, code, nowMs, config, true);
  if (verdict.outcome !== "accepted") return refused(next, verdict);
  if (newTokenStamp) next.guard.tokenStamp = newTokenStamp();
  return { next: setEnrolment(next, null, nowMs), outcome: verdict };
}

/**
 * Sets the user's 2FA enrolment on a draft. A new enrolment or none revokes every pending login;
 * none also revokes trust ids, recovery codes and texted codes, so nothing from the old enrolment
 * works afterwards (the admin reset).
 */
export function setEnrolment(next: Account, enrolment: { delivery: TwoFactorDelivery; secret: string } | null, nowMs: number): Account {
  next.user = enrolment
    ? { ...next.user, twoFactorEnabled: true, twoFactorDelivery: enrolment.delivery, twoFactorSecret: enrolment.secret, lastUpdateInstant: nowMs }
    : { ...next.user, twoFactorEnabled: false, twoFactorDelivery: "None", twoFactorSecret: undefined, lastUpdateInstant: nowMs };
  next.guard.generation += 1;
  next.guard.challenges = {};
  if (!enrolment) {
    next.guard.trust = {};
    next.guard.recoveryCodes = [];
    next.guard.smsCodes = [];
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
  if (user.twoFactorEnabled !== before.twoFactorEnabled || user.twoFactorSecret !== before.twoFactorSecret) {
    next = setEnrolment(next, user.twoFactorEnabled && user.twoFactorSecret ? { delivery: user.twoFactorDelivery, secret: user.twoFactorSecret } : null, nowMs);
  }
  // By the hash (a new password always gets a new salt), not the instant: two changes can share a millisecond.
  const passwordChanged = user.password.hash !== before.password.hash;
  const deactivated = before.active && !user.active;
  if (passwordChanged || deactivated) {
    next.guard.challenges = {};
    next.guard.trust = {};
  }
  if (passwordChanged || deactivated || (before.twoFactorEnabled && !user.twoFactorEnabled)) next.guard.tokenStamp = newTokenStamp();
  // An admin setting a new password lifts the password locks; switching 2FA off, the code locks.
  for (const counters of [next.guard, next.guard.familiar]) {
    if (passwordChanged) counters.password = { failures: [], lockedUntil: 0 };
    if (before.twoFactorEnabled && !user.twoFactorEnabled)
      Object.assign(counters, { consecutiveCodeFailures: 0, codeLockedUntil: 0, lastWrongCode: undefined });
  }
  next.user = user;
  return next;
}
