// The two steps of a login as decisions: the password (lockout, expiry, access, whether a second
// factor is due) and the code for a pending login (replay guard, attempts, trust this computer).
import type { Config } from "./config";
import type { LoginPrevention } from "./failures";
import { draft, keepIf, type Account, type Decision, type PasswordFailures } from "./account";
import { liveChallenge, pruneChallenges } from "./challenges";
import { acceptCode, type CodeVerdict, type SubmittedCode } from "./codes";
import { failureCounter, isFamiliar, passwordPrevention, prevention, recordPasswordFailure, rememberNetwork, type Source } from "./lockout";
import { trustDevice, trustedDevice } from "./trust";
import { isExpired, twoFactorEnabled } from "./user";

const NO_FAILURES: PasswordFailures = { failures: [], lockedUntil: 0 };

export type PasswordVerdict =
  | { outcome: "prevented"; prevention: LoginPrevention }
  /** `locked`: this failure locked login (FusionAuth's Prevent Login action begins). */
  | { outcome: "wrong-password"; locked?: LoginPrevention }
  | { outcome: "expired" }
  | { outcome: "inactive" }
  /** `familiar`: the source's kind, which a pending login keeps for its code checks. */
  | { outcome: "authenticated"; twoFactorRequired: boolean; familiar: boolean };

/** Decides the password step of a login; `passwordMatches` was computed against this account's hash. */
export function decidePassword(account: Account, passwordMatches: boolean, source: Source, nowMs: number, config: Config): Decision<PasswordVerdict> {
  const { user, guard } = account;
  const familiar = isFamiliar(guard, source, nowMs, config);
  const prevented = prevention(failureCounter(guard, source, familiar, nowMs), nowMs);
  if (prevented) return { next: null, outcome: { outcome: "prevented", prevention: prevented } };
  if (!passwordMatches) {
    const next = draft(account);
    const counter = failureCounter(next.guard, source, familiar, nowMs);
    counter.password = recordPasswordFailure(counter.password ?? NO_FAILURES, nowMs, config);
    const locked = passwordPrevention(counter.password, nowMs);
    return { next, outcome: locked ? { outcome: "wrong-password", locked } : { outcome: "wrong-password" } };
  }
  if (isExpired(user, nowMs)) return { next: null, outcome: { outcome: "expired" } };
  if (!user.active) return { next: null, outcome: { outcome: "inactive" } };
  const trusted = trustedDevice(guard, source.trustHash, nowMs) !== null;
  const twoFactorRequired = twoFactorEnabled(user) && !trusted;
  const outcome = { outcome: "authenticated", twoFactorRequired, familiar } as const;
  if (twoFactorRequired && !failureCounter(guard, source, familiar, nowMs).password?.failures.length) return { next: null, outcome };
  const next = draft(account);
  const counter = failureCounter(next.guard, source, familiar, nowMs);
  if (counter.password) counter.password = { ...counter.password, failures: [] };
  if (!twoFactorRequired) {
    next.guard.lastLoginInstant = nowMs;
    rememberNetwork(next.guard, source.network, nowMs);
    const device = trustedDevice(next.guard, source.trustHash, nowMs);
    if (device) device.lastUsedAt = nowMs;
  }
  return { next, outcome };
}

export type CompletionVerdict = CodeVerdict | { outcome: "not-found" } | { outcome: "expired" };

/** Decides the second step of a login: the code `code` (matching `step`) for the pending login `key`. */
export function completeChallenge(
  account: Account,
  key: string,
  code: SubmittedCode,
  trustHash: string | undefined,
  nowMs: number,
  config: Config,
): Decision<CompletionVerdict> {
  if (!liveChallenge(account, key, nowMs)) {
    return { next: pruneChallenges(account, nowMs), outcome: { outcome: "not-found" } };
  }
  const next = draft(account);
  if (isExpired(account.user, nowMs)) {
    delete next.guard.challenges[key];
    return { next, outcome: { outcome: "expired" } };
  }
  const { familiar, network, applicationId, otp } = next.guard.challenges[key]!;
  const verdict = acceptCode(next, code, nowMs, config, true, familiar, otp);
  if (verdict.outcome === "accepted") {
    delete next.guard.challenges[key];
    if (verdict.methodId) next.guard.lastUsedMethodId = verdict.methodId;
    next.guard.lastLoginInstant = nowMs;
    rememberNetwork(next.guard, network, nowMs);
    if (trustHash) trustDevice(next.guard, trustHash, nowMs, config, applicationId);
    return { next, outcome: verdict };
  }
  if (verdict.outcome === "invalid-code" && verdict.counted) {
    const challenge = next.guard.challenges[key]!;
    challenge.failedAttempts += 1;
    if (challenge.failedAttempts >= config.maxCodeAttemptsPerChallenge) delete next.guard.challenges[key];
  }
  return keepIf(next, verdict.outcome === "invalid-code" && verdict.counted, verdict);
}
