// Failure counters and the locks they lead to: wrong passwords (FusionAuth's
// failedAuthenticationConfiguration) and wrong codes (RFC 4226 §7.3), counted apart for familiar
// and unfamiliar sources so that a stranger cannot lock the owner's own device out.
import type { Config } from "./config";
import type { LoginPrevention } from "./failures";
import { draft, newCounters, type Account, type Counters, type Guard, type PasswordFailures } from "./account";
import { trustedDevice } from "./trust";

/**
 * Where a login comes from. Familiar: it carries a valid trust id of this user, or comes from a
 * network the user logged in from recently. Failures from unfamiliar sources lock unfamiliar
 * sources only (in the spirit of NIST SP 800-63B §5.2.2 and Azure AD smart lockout), and a trusted
 * device counts its own, so a stranger on the owner's network cannot lock the owner's device.
 */
export type Source = { trustHash?: string; network?: string };

const MAX_NETWORKS = 10;
/**
 * Browsers and Node's fetch resend a request answered 421 (the Fetch standard's "Misdirected
 * Request"), which is FusionAuth's wrong-code status: the same wrong code again this soon is that
 * retry, not another guess.
 */
const REPEAT_WINDOW_MS = 10_000;

export function passwordPrevention(password: PasswordFailures, nowMs: number): LoginPrevention | null {
  return password.lockedUntil > nowMs ? { until: password.lockedUntil, reason: "password" } : null;
}

/** The counters a source's failures go to: the guard's own for unfamiliar sources. */
export const countersFor = (guard: Guard, familiar: boolean): Counters => (familiar ? guard.familiar : guard);

/** What a source's wrong passwords count on and what locks it: its trusted device (which has no code lock), else `countersFor`. */
export type FailureCounter = Pick<Partial<Counters>, "password" | "codeLockedUntil">;

export const failureCounter = (guard: Guard, source: Source, familiar: boolean, nowMs: number): FailureCounter =>
  trustedDevice(guard, source.trustHash, nowMs) ?? countersFor(guard, familiar);

/** The lock in force on `counters`, the later of the password and the code lock. */
export function prevention(counters: FailureCounter, nowMs: number): LoginPrevention | null {
  const byPassword = counters.password ? passwordPrevention(counters.password, nowMs) : null;
  const codeLockedUntil = counters.codeLockedUntil ?? 0;
  if (codeLockedUntil > nowMs && codeLockedUntil >= (byPassword?.until ?? 0)) return { until: codeLockedUntil, reason: "two-factor" };
  return byPassword;
}

/** Whether `source` is familiar to this user (see `Source`). */
export function isFamiliar(guard: Guard, source: Source, nowMs: number, config: Config): boolean {
  const trusted = trustedDevice(guard, source.trustHash, nowMs) !== null;
  const seen = source.network !== undefined && (guard.networks[source.network] ?? 0) > nowMs - config.smartLockout.networkMemorySeconds * 1000;
  return trusted || seen;
}

/** Remembers a successful login's network on a draft's guard, keeping the most recent few. */
export function rememberNetwork(guard: Guard, network: string | undefined, nowMs: number): void {
  if (!network) return;
  const recent = Object.entries({ ...guard.networks, [network]: nowMs }).sort(([, a], [, b]) => b - a);
  guard.networks = Object.fromEntries(recent.slice(0, MAX_NETWORKS));
}

/** Lifts every password and code lock, for both kinds of source (the admin unlock). */
export function unlock(account: Account): Account {
  const next = draft(account);
  Object.assign(next.guard, newCounters(), { lastWrongCode: undefined, familiar: newCounters() });
  for (const device of Object.values(next.guard.trust)) delete device.password;
  return next;
}

/** FusionAuth's failedAuthenticationConfiguration: `tooManyAttempts` in `resetCountSeconds` lock login. */
export function recordPasswordFailure(password: PasswordFailures, nowMs: number, config: Config): PasswordFailures {
  const { tooManyAttempts, resetCountSeconds, actionDurationSeconds } = config.failedAuthentication;
  const failures = [...password.failures.filter((at) => at > nowMs - resetCountSeconds * 1000), nowMs];
  if (failures.length >= tooManyAttempts) return { failures: [], lockedUntil: nowMs + actionDurationSeconds * 1000 };
  return { failures, lockedUntil: password.lockedUntil };
}

/** When `password` is as good as new: its lock has ended and its last failure no longer counts. */
export function failuresExpiry(password: PasswordFailures, config: Config): number {
  const lastFailure = password.failures.length ? Math.max(...password.failures) : 0;
  return Math.max(password.lockedUntil, lastFailure + config.failedAuthentication.resetCountSeconds * 1000);
}

/**
 * Counts a wrong code (one that matched no acceptable step) on a draft's `counters`: every
 * `failuresPerLock` in a row lock login, for twice as long each time. A retry is not counted.
 */
export function countWrongCode(counters: Counters, code: string, nowMs: number, config: Config): { counted: boolean; locked?: LoginPrevention } {
  const retried = counters.lastWrongCode?.code === code && nowMs - counters.lastWrongCode.at < REPEAT_WINDOW_MS;
  if (retried) return { counted: false };
  const { failuresPerLock, baseSeconds, maxSeconds } = config.twoFactorLockout;
  counters.consecutiveCodeFailures += 1;
  counters.lastWrongCode = { code, at: nowMs };
  if (counters.consecutiveCodeFailures % failuresPerLock !== 0) return { counted: true };
  const locks = counters.consecutiveCodeFailures / failuresPerLock;
  counters.codeLockedUntil = nowMs + Math.min(baseSeconds * 2 ** (locks - 1), maxSeconds) * 1000;
  return { counted: true, locked: { until: counters.codeLockedUntil, reason: "two-factor" } };
}
