// Pending two-factor logins (a `twoFactorId` each): opened by the password step, live while the
// enrolment, password and access they were issued under stand, expired by the object's alarm, and
// allowed a few texts of their code.
import type { Config } from "./config";
import { draft, type Account, type Challenge, type Decision, type OneTimeCode } from "./account";
import { textStep } from "./codes";
import { destinationOf, methodById, textedAuthenticator, type Destination } from "./methods";
import { twoFactorEnabled } from "./user";

const MAX_PENDING_LOGINS = 20;

export type ChallengeDetails = Pick<Challenge, "applicationId" | "ipAddress" | "metaData" | "loginId" | "noJWT" | "familiar" | "network">;

/** Opens a pending login under `key`, dropping expired ones and, past the cap, the oldest. */
export function openChallenge(account: Account, key: string, details: ChallengeDetails, nowMs: number, config: Config): Account {
  const next = draft(account);
  const live = Object.entries(next.guard.challenges).filter(([, challenge]) => challenge.expiresAt > nowMs);
  live.sort(([, a], [, b]) => b.expiresAt - a.expiresAt);
  next.guard.challenges = Object.fromEntries(live.slice(0, MAX_PENDING_LOGINS - 1));
  next.guard.challenges[key] = {
    ...details,
    expiresAt: nowMs + config.twoFactorIdTtlSeconds * 1000,
    generation: account.guard.generation,
    passwordChangedAt: account.user.passwordLastUpdateInstant,
    failedAttempts: 0,
    smsSends: 0,
  };
  return next;
}

/** The live challenge under `key` that still matches the account, or null. */
export function liveChallenge(account: Account, key: string, nowMs: number): Challenge | null {
  const challenge = Object.hasOwn(account.guard.challenges, key) ? account.guard.challenges[key]! : null;
  if (!challenge || challenge.expiresAt <= nowMs) return null;
  const { user, guard } = account;
  const current =
    user.active &&
    (twoFactorEnabled(user) || challenge.started === true) &&
    challenge.generation === guard.generation &&
    challenge.passwordChangedAt === user.passwordLastUpdateInstant;
  return current ? challenge : null;
}

/** The earliest moment a pending login expires, for the object's alarm. */
export function nextExpiry(account: Account): number | null {
  const expiries = Object.values(account.guard.challenges).map((challenge) => challenge.expiresAt);
  return expiries.length ? Math.min(...expiries) : null;
}

/** Drops expired and stale pending logins; null when there were none. */
export function pruneChallenges(account: Account, nowMs: number): Account | null {
  const stale = Object.keys(account.guard.challenges).filter((key) => !liveChallenge(account, key, nowMs));
  if (!stale.length) return null;
  const next = draft(account);
  for (const key of stale) delete next.guard.challenges[key];
  return next;
}

export type SendReservation = { outcome: "allowed" } | { outcome: "not-found" } | { outcome: "limited"; retryAfterSeconds: number };

/** Counts one SMS for the pending login `key`: at most `maxPerChallenge` per login. */
export function reserveChallengeSend(account: Account, key: string, nowMs: number, config: Config): Decision<SendReservation> {
  const challenge = liveChallenge(account, key, nowMs);
  if (!challenge) return { next: null, outcome: { outcome: "not-found" } };
  if (challenge.smsSends >= config.sms.maxPerChallenge) {
    return { next: null, outcome: { outcome: "limited", retryAfterSeconds: Math.ceil((challenge.expiresAt - nowMs) / 1000) } };
  }
  const next = draft(account);
  next.guard.challenges[key]!.smsSends += 1;
  return { next, outcome: { outcome: "allowed" } };
}

/** `replaced`: the login's code before this send, which stands again if the message never goes out. */
export type MethodSend =
  | Exclude<SendReservation, { outcome: "allowed" }>
  | { outcome: "unknown-method" }
  | { outcome: "cannot-send" }
  | { outcome: "allowed"; to: Destination; replaced?: Challenge["otp"] };

/**
 * Counts one send of a new one-time code (its hash `hash`) for the pending login `key`, to the
 * user's phone or email method `methodId`, or to their first phone method when the legacy resend
 * names none; the code replaces the login's earlier one.
 */
export function reserveMethodSend(
  account: Account,
  key: string,
  methodId: string | undefined,
  hash: string,
  nowMs: number,
  config: Config,
): Decision<MethodSend> {
  const methods = account.user.twoFactor.methods;
  const method = methodId === undefined ? methods.find((candidate) => candidate.method === "sms") : methodById(methods, methodId);
  const reserved = reserveChallengeSend(account, key, nowMs, config);
  if (reserved.outcome.outcome !== "allowed") return { next: null, outcome: reserved.outcome };
  if (!method) return { next: null, outcome: { outcome: "unknown-method" } };
  const to = destinationOf(method);
  if (!to) return { next: null, outcome: { outcome: "cannot-send" } };
  const challenge = reserved.next!.guard.challenges[key]!;
  const replaced = challenge.otp;
  challenge.otp = { hash, methodId: method.id };
  return { next: reserved.next, outcome: { outcome: "allowed", to, replaced } };
}

/** The code a send replaced: a login's (`replacedOtp`) or the enable or disable code (`replacedCode`). */
export type Replaced = { replacedOtp?: Challenge["otp"]; replacedCode?: OneTimeCode };

/** A reserved text: the legacy step it texts, or the one-time code's hash and what it replaced. */
export type SentText = { step?: number; otpHash?: string } & Replaced;

/**
 * Gives back a send that did not go out, and withdraws its code when it surely never arrives: the
 * texted step `step`, or the one-time code `otpHash`, in whose place the code it replaced stands
 * again (unless a later send replaced it meanwhile).
 */
export function releaseSend(account: Account, key: string | undefined, sent: SentText, withdrawCode: boolean): Account {
  const next = draft(account);
  const challenge = key && Object.hasOwn(next.guard.challenges, key) ? next.guard.challenges[key] : undefined;
  if (challenge && challenge.smsSends > 0) challenge.smsSends -= 1;
  if (!withdrawCode) return next;
  if (sent.step !== undefined) next.guard.smsCodes = next.guard.smsCodes.filter((texted) => texted.step !== sent.step);
  if (challenge?.otp && challenge.otp.hash === sent.otpHash) {
    if (sent.replacedOtp) challenge.otp = sent.replacedOtp;
    else delete challenge.otp;
  }
  if (next.guard.oneTimeCode && next.guard.oneTimeCode.hash === sent.otpHash) {
    if (sent.replacedCode) next.guard.oneTimeCode = sent.replacedCode;
    else delete next.guard.oneTimeCode;
  }
  return next;
}

/**
 * Opens a pending login without a password (FusionAuth Start, for step-up): completed by the code
 * `otpHash` stands for (the caller's or one made for it), or by any of the user's second factors.
 */
export function startedChallenge(
  account: Account,
  key: string,
  details: ChallengeDetails,
  otpHash: string,
  state: string | undefined,
  nowMs: number,
  config: Config,
): Account {
  const next = openChallenge(account, key, details, nowMs, config);
  Object.assign(next.guard.challenges[key]!, { started: true, otp: { hash: otpHash }, ...(state !== undefined && { state }) });
  return next;
}

/**
 * Opens a pending login for the password step; a TextMessage user's also reserves its first text
 * (FusionAuth texts the code as part of the login) and answers the step to text.
 */
export function startChallenge(account: Account, key: string, details: ChallengeDetails, nowMs: number, config: Config): { next: Account; step?: number } {
  const next = openChallenge(account, key, details, nowMs, config);
  if (!textedAuthenticator(next.user.twoFactor.methods) || !next.user.mobilePhone) return { next };
  const reserved = reserveChallengeSend(next, key, nowMs, config);
  return textStep(reserved.next ?? next, nowMs, config);
}
