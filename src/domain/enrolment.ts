// A user's 2FA enrolment: enable (a code proves the new secret), disable (a code or a recovery
// code), recovery codes, and the User API's record replacement, which keeps the guard consistent.
import type { Config } from "./config";
import { draft, keepIf, type Account, type Decision } from "./account";
import { acceptCode, type CodeVerdict, type SubmittedCode } from "./codes";
import type { TwoFactorDelivery, UserRecord } from "./user";

export type RecoveryCodesVerdict = { outcome: "replaced" } | { outcome: "not-enabled" };

/** Replaces the user's recovery codes with `hashes` (FusionAuth: each generation replaces the last). */
export function replaceRecoveryCodes(account: Account, hashes: string[]): Decision<RecoveryCodesVerdict> {
  if (!account.user.twoFactorEnabled) return { next: null, outcome: { outcome: "not-enabled" } };
  const next = draft(account);
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

/** Disables 2FA when `code` is a current code of the user's secret. */
export function disableTwoFactor(account: Account, code: SubmittedCode, nowMs: number, config: Config): Decision<DisableVerdict> {
  if (!account.user.twoFactorEnabled) return { next: null, outcome: { outcome: "not-enabled" } };
  const next = draft(account);
  const verdict = acceptCode(next, code, nowMs, config, true);
  if (verdict.outcome === "accepted") return { next: setEnrolment(next, null, nowMs), outcome: verdict };
  return keepIf(next, verdict.outcome === "invalid-code" && verdict.counted, verdict);
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
 * set as by `setEnrolment`; a new password or a deactivation ends pending logins and trust ids.
 */
export function replaceUser(account: Account, user: UserRecord, nowMs: number): Account {
  let next = draft(account);
  const before = account.user;
  if (user.twoFactorEnabled !== before.twoFactorEnabled || user.twoFactorSecret !== before.twoFactorSecret) {
    next = setEnrolment(next, user.twoFactorEnabled && user.twoFactorSecret ? { delivery: user.twoFactorDelivery, secret: user.twoFactorSecret } : null, nowMs);
  }
  const passwordChanged = user.passwordLastUpdateInstant !== before.passwordLastUpdateInstant;
  if (passwordChanged || (before.active && !user.active)) {
    next.guard.challenges = {};
    next.guard.trust = {};
  }
  // An admin setting a new password lifts the password locks; switching 2FA off, the code locks.
  for (const counters of [next.guard, next.guard.familiar]) {
    if (passwordChanged) counters.password = { failures: [], lockedUntil: 0 };
    if (before.twoFactorEnabled && !user.twoFactorEnabled)
      Object.assign(counters, { consecutiveCodeFailures: 0, codeLockedUntil: 0, lastWrongCode: undefined });
  }
  next.user = user;
  return next;
}
