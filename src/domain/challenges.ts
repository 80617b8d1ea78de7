// Pending two-factor logins (a `twoFactorId` each): opened by the password step, live while the
// enrolment, password and access they were issued under stand, expired by the object's alarm, and
// allowed a few texts of their code.
import type { Config } from "./config";
import { draft, type Account, type Challenge, type Decision } from "./account";
import { textStep } from "./codes";

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
    user.active && user.twoFactorEnabled && challenge.generation === guard.generation && challenge.passwordChangedAt === user.passwordLastUpdateInstant;
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

/** Gives back a send that did not go out, and withdraws its code when it surely never arrives. */
export function releaseSend(account: Account, key: string | undefined, step: number, withdrawCode: boolean): Account {
  const next = draft(account);
  const challenge = key && Object.hasOwn(next.guard.challenges, key) ? next.guard.challenges[key] : undefined;
  if (challenge && challenge.smsSends > 0) challenge.smsSends -= 1;
  if (withdrawCode) next.guard.smsCodes = next.guard.smsCodes.filter((sent) => sent.step !== step);
  return next;
}

/**
 * Opens a pending login for the password step; a TextMessage user's also reserves its first text
 * (FusionAuth texts the code as part of the login) and answers the step to text.
 */
export function startChallenge(account: Account, key: string, details: ChallengeDetails, nowMs: number, config: Config): { next: Account; step?: number } {
  const next = openChallenge(account, key, details, nowMs, config);
  if (next.user.twoFactorDelivery !== "TextMessage" || !next.user.mobilePhone) return { next };
  const reserved = reserveChallengeSend(next, key, nowMs, config);
  return textStep(reserved.next ?? next, nowMs, config);
}
