// A user's 2FA enrolment: enable (a code proves the new secret) or add a method, disable or remove
// one (a code or a recovery code), recovery codes, and the User API's record replacement, which
// keeps the guard consistent.
import type { Config } from "./config";
import { draft, keepIf, type Account, type Decision, type OneTimeCode } from "./account";
import { acceptCode, type CodeVerdict, type SubmittedCode } from "./codes";
import { MAX_METHODS, methodById, withMethod, type NewMethod, type TwoFactorMethod } from "./methods";
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

export type EnableVerdict = CodeVerdict | { outcome: "already-enabled" } | { outcome: "needs-phone" } | { outcome: "too-many" };

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

/** Where a phone or email method sends its codes. */
export const methodAddress = (method: NewMethod | TwoFactorMethod) =>
  method.method === "sms" ? method.mobilePhone : method.method === "email" ? method.email : undefined;

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

/** FusionAuth's default lifetime of a code sent to enable or disable a method (`twoFactorOneTimeCodeIdTimeToLiveInSeconds`). */
export const ONE_TIME_CODE_TTL_SECONDS = 60;

/** `replaced`: the code before this send, which stands again if the text never goes out. */
export type IssueVerdict = { outcome: "issued"; phone: string; replaced?: OneTimeCode } | { outcome: "unknown-method" } | { outcome: "cannot-send" };

/**
 * Keeps the code (its hash `hash`) sent to enable a phone method (to `enable`'s number) or to disable
 * the method `methodId` (to its number), replacing any earlier one; answers where to text it.
 */
export function issueOneTimeCode(
  account: Account,
  hash: string,
  target: { enable: { method: "sms"; value: string } } | { methodId: string },
  nowMs: number,
): Decision<IssueVerdict> {
  const expiresAt = nowMs + ONE_TIME_CODE_TTL_SECONDS * 1000;
  const next = draft(account);
  if ("enable" in target) {
    next.guard.oneTimeCode = { hash, expiresAt, purpose: "enable", ...target.enable };
    return { next, outcome: { outcome: "issued", phone: target.enable.value, replaced: account.guard.oneTimeCode } };
  }
  const method = methodById(account.user.twoFactor.methods, target.methodId);
  if (!method) return { next: null, outcome: { outcome: "unknown-method" } };
  if (method.method !== "sms") return { next: null, outcome: { outcome: "cannot-send" } };
  next.guard.oneTimeCode = { hash, expiresAt, purpose: "disable", methodId: method.id };
  return { next, outcome: { outcome: "issued", phone: method.mobilePhone, replaced: account.guard.oneTimeCode } };
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
