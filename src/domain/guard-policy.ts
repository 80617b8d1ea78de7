// The decisions a user's Durable Object makes, as pure functions of (state, input, now, config):
// lockouts, replay, trust, pending logins and SMS windows. Each returns the outcome and the next
// state (null when nothing changed), so the object only loads, applies and saves (once, when changed).
import type { Config } from "./config";
import type { LoginPrevention } from "./failures";
import { stepStart, timeStep } from "./totp";
import { isExpired, publicUser, type PublicUser, type TwoFactorDelivery, type UserRecord } from "./user";

/** A time step whose code went out by SMS, acceptable until `expiresAt` although the step has passed. */
export type SentCode = { step: number; expiresAt: number };

/** Recent wrong passwords (ms) and the lock they led to. Unknown login ids keep one too. */
export type PasswordFailures = { failures: number[]; lockedUntil: number };

/** A pending two-factor login (`twoFactorId`), kept under its random key R. */
export type Challenge = {
  expiresAt: number;
  /** The 2FA enrolment and password it was issued under: a change to either stops it. */
  generation: number;
  passwordChangedAt: number;
  applicationId?: string;
  ipAddress?: string;
  /** The request's `metaData` as JSON, and the login id used, for the login record. */
  metaData?: string;
  loginId?: string;
  noJWT: boolean;
  /** Whether the password step came from a familiar source, and its network. */
  familiar: boolean;
  network?: string;
  failedAttempts: number;
  smsSends: number;
};

/** Failure counters and the locks they lead to, kept apart for familiar and unfamiliar sources. */
export type Counters = {
  password: PasswordFailures;
  consecutiveCodeFailures: number;
  codeLockedUntil: number;
  /** The last counted wrong code (it matched no step, so it is not a secret) and when. */
  lastWrongCode?: { code: string; at: number };
};

/**
 * Where a login comes from. Familiar: it carries a valid trust id of this user, or comes from a
 * network the user logged in from recently. Failures from unfamiliar sources lock unfamiliar
 * sources only, so a stranger cannot lock the owner's own device out (in the spirit of NIST SP
 * 800-63B §5.2.2 and Azure AD smart lockout).
 */
export type Source = { trustHash?: string; network?: string };

/** A device trusted at a 2FA login ("trust this computer"), kept under the SHA-256 of its trust id. */
export type TrustedDevice = { issuedAt: number; lastUsedAt: number; expiresAt: number; applicationId?: string };

/** A trusted device as operators see it: named by a prefix of the hash, never the trust id. */
export type TrustedDeviceView = { id: string; applicationId?: string; issuedInstant: number; lastUsedInstant: number; expirationInstant: number };

export type Guard = Counters & {
  /** Counts 2FA enrolments: bumped on every enable and disable. */
  generation: number;
  /** RFC 6238 §5.2: the newest accepted time step; a code for this step or an older one is refused. */
  lastAcceptedStep: number;
  /** The counters of familiar sources; the guard's own are those of unfamiliar ones. */
  familiar: Counters;
  /** Networks (see `networkOf`) the user logged in from → when last (ms). */
  networks: Record<string, number>;
  /** SHA-256 of each trust id → the device it trusts. */
  trust: Record<string, TrustedDevice>;
  /** The stored forms of the unused recovery codes (src/domain/recovery-codes.ts). */
  recoveryCodes: string[];
  smsCodes: SentCode[];
  challenges: Record<string, Challenge>;
  /** Kept with the guard, not the record: a login then rewrites only the small guard state. */
  lastLoginInstant?: number;
  /** Which login records the object holds (src/objects/login-records.ts), saved with the guard state. */
  loginRecords?: LoginRecordIndex;
};

/** Login records `first` … `next - 1` exist, the one at `first` made at `oldest`. */
export type LoginRecordIndex = { first: number; next: number; oldest?: number };

/** Everything one user is: the record and the guard state, versioned for the KV replica. */
export type Account = { version: number; user: UserRecord; guard: Guard };

export type Decision<O> = { next: Account | null; outcome: O };

const MAX_TRUSTED_DEVICES = 20;
const MAX_SMS_CODES = 10;
const MAX_PENDING_LOGINS = 20;
const MAX_NETWORKS = 10;
/**
 * Browsers and Node's fetch resend a request answered 421 (the Fetch standard's "Misdirected
 * Request"), which is FusionAuth's wrong-code status: the same wrong code again this soon is that
 * retry, not another guess.
 */
const REPEAT_WINDOW_MS = 10_000;

const newCounters = (): Counters => ({ password: { failures: [], lockedUntil: 0 }, consecutiveCodeFailures: 0, codeLockedUntil: 0 });

export const newGuard = (): Guard => ({
  ...newCounters(),
  generation: 0,
  lastAcceptedStep: -1,
  familiar: newCounters(),
  networks: {},
  trust: {},
  recoveryCodes: [],
  smsCodes: [],
  challenges: {},
});

/**
 * A guard as stored by any version: before recovery codes there were none, and a trust id was
 * kept as its bare expiry (ms), issued one trust lifetime before it.
 */
export function upgradeGuard(stored: Guard, config: Config): Guard {
  const trust = Object.entries(stored.trust as Record<string, TrustedDevice | number>).map(([hash, device]) => {
    if (typeof device !== "number") return [hash, device] as const;
    const issuedAt = device - config.twoFactorTrustIdTtlSeconds * 1000;
    return [hash, { issuedAt, lastUsedAt: issuedAt, expiresAt: device }] as const;
  });
  return { ...stored, recoveryCodes: stored.recoveryCodes ?? [], trust: Object.fromEntries(trust) };
}

/** The trusted device whose trust id hashes to `trustHash`, while it is valid. */
const trustedDevice = (guard: Guard, trustHash: string | undefined, nowMs: number): TrustedDevice | null => {
  const device = trustHash !== undefined && Object.hasOwn(guard.trust, trustHash) ? guard.trust[trustHash]! : null;
  return device && device.expiresAt > nowMs ? device : null;
};

/** How long the name of a trusted device is: a prefix of its hash, enough to tell 20 devices apart. */
const DEVICE_ID_LENGTH = 16;

const deviceView = (hash: string, device: TrustedDevice): TrustedDeviceView => ({
  id: hash.slice(0, DEVICE_ID_LENGTH),
  applicationId: device.applicationId,
  issuedInstant: device.issuedAt,
  lastUsedInstant: device.lastUsedAt,
  expirationInstant: device.expiresAt,
});

/** The user's valid trusted devices, most recently used first. */
export function trustedDevices(guard: Guard, nowMs: number): TrustedDeviceView[] {
  return Object.entries(guard.trust)
    .filter(([, device]) => device.expiresAt > nowMs)
    .sort(([, a], [, b]) => b.lastUsedAt - a.lastUsedAt)
    .map(([hash, device]) => deviceView(hash, device));
}

/**
 * FusionAuth's two-factor status: whether a login carrying `trustHash` would skip the second factor
 * (always, without 2FA), and the device it names while that is valid.
 */
export function trustStatus(account: Account, trustHash: string, nowMs: number): { trusted: boolean; device: TrustedDeviceView | null } {
  const device = trustedDevice(account.guard, trustHash, nowMs);
  return { trusted: !account.user.twoFactorEnabled || device !== null, device: device && deviceView(trustHash, device) };
}

/** Revokes the trusted device named `deviceId`, or every one when it is undefined; not-found for an unknown name. */
export function revokeTrust(
  account: Account,
  deviceId: string | undefined,
  nowMs: number,
): Decision<{ outcome: "revoked"; count: number } | { outcome: "not-found" }> {
  const live = trustedDevices(account.guard, nowMs);
  const revoked = deviceId === undefined ? live : live.filter((device) => device.id === deviceId);
  if (deviceId !== undefined && !revoked.length) return { next: null, outcome: { outcome: "not-found" } };
  const next = draft(account);
  next.guard.trust = Object.fromEntries(
    Object.entries(next.guard.trust).filter(([hash, device]) => device.expiresAt > nowMs && !revoked.some((gone) => hash.startsWith(gone.id))),
  );
  return { next, outcome: { outcome: "revoked", count: revoked.length } };
}

export type RecoveryCodesVerdict = { outcome: "replaced" } | { outcome: "not-enabled" };

/** Replaces the user's recovery codes with `hashes` (FusionAuth: each generation replaces the last). */
export function replaceRecoveryCodes(account: Account, hashes: string[]): Decision<RecoveryCodesVerdict> {
  if (!account.user.twoFactorEnabled) return { next: null, outcome: { outcome: "not-enabled" } };
  const next = draft(account);
  next.guard.recoveryCodes = hashes;
  return { next, outcome: { outcome: "replaced" } };
}

const liveCodes = (codes: SentCode[], nowMs: number) => codes.filter((sent) => sent.expiresAt > nowMs);

/** The ±1 window of RFC 6238 §5.2 around now, plus codes recently sent by SMS. */
export function acceptableSteps(nowMs: number, smsCodes: SentCode[]): number[] {
  const now = timeStep(nowMs);
  const window = [now, now - 1, now + 1];
  return [
    ...window,
    ...liveCodes(smsCodes, nowMs)
      .map((sent) => sent.step)
      .filter((step) => !window.includes(step)),
  ];
}

/**
 * A copy to change; the input state is never modified. The record is shared, not copied: decisions
 * that change it replace it whole, so the object can tell when it must be written.
 */
const draft = (account: Account): Account => ({ version: account.version + 1, user: account.user, guard: structuredClone(account.guard) });

/** The user as the API shows it: the public record and the last login. */
export function publicAccount(account: Account): PublicUser {
  const user = publicUser(account.user, account.guard.lastLoginInstant);
  return account.user.twoFactorEnabled ? { ...user, twoFactorRecoveryCodesRemaining: account.guard.recoveryCodes.length } : user;
}

export function passwordPrevention(password: PasswordFailures, nowMs: number): LoginPrevention | null {
  return password.lockedUntil > nowMs ? { until: password.lockedUntil, reason: "password" } : null;
}

/** The counters a source's failures go to: the guard's own for unfamiliar sources. */
const countersFor = (guard: Guard, familiar: boolean): Counters => (familiar ? guard.familiar : guard);

function prevention(counters: Counters, nowMs: number): LoginPrevention | null {
  const byPassword = passwordPrevention(counters.password, nowMs);
  if (counters.codeLockedUntil > nowMs && counters.codeLockedUntil >= (byPassword?.until ?? 0))
    return { until: counters.codeLockedUntil, reason: "two-factor" };
  return byPassword;
}

/** Whether `source` is familiar to this user (see `Source`). */
export function isFamiliar(guard: Guard, source: Source, nowMs: number, config: Config): boolean {
  const trusted = trustedDevice(guard, source.trustHash, nowMs) !== null;
  const seen = source.network !== undefined && (guard.networks[source.network] ?? 0) > nowMs - config.smartLockout.networkMemorySeconds * 1000;
  return trusted || seen;
}

/** Remembers a successful login's network, keeping the most recent few. */
function rememberNetwork(guard: Guard, network: string | undefined, nowMs: number): void {
  if (!network) return;
  const recent = Object.entries({ ...guard.networks, [network]: nowMs }).sort(([, a], [, b]) => b - a);
  guard.networks = Object.fromEntries(recent.slice(0, MAX_NETWORKS));
}

/** Lifts every password and code lock, for both kinds of source (the admin unlock). */
export function unlock(account: Account): Account {
  const next = draft(account);
  Object.assign(next.guard, newCounters(), { lastWrongCode: undefined, familiar: newCounters() });
  return next;
}

/** FusionAuth's failedAuthenticationConfiguration: `tooManyAttempts` in `resetCountSeconds` lock login. */
export function recordPasswordFailure(password: PasswordFailures, nowMs: number, config: Config): PasswordFailures {
  const { tooManyAttempts, resetCountSeconds, actionDurationSeconds } = config.failedAuthentication;
  const failures = [...password.failures.filter((at) => at > nowMs - resetCountSeconds * 1000), nowMs];
  if (failures.length >= tooManyAttempts) return { failures: [], lockedUntil: nowMs + actionDurationSeconds * 1000 };
  return { failures, lockedUntil: password.lockedUntil };
}

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
  const prevented = prevention(countersFor(guard, familiar), nowMs);
  if (prevented) return { next: null, outcome: { outcome: "prevented", prevention: prevented } };
  if (!passwordMatches) {
    const next = draft(account);
    const counters = countersFor(next.guard, familiar);
    counters.password = recordPasswordFailure(counters.password, nowMs, config);
    const locked = passwordPrevention(counters.password, nowMs);
    return { next, outcome: locked ? { outcome: "wrong-password", locked } : { outcome: "wrong-password" } };
  }
  if (isExpired(user, nowMs)) return { next: null, outcome: { outcome: "expired" } };
  if (!user.active) return { next: null, outcome: { outcome: "inactive" } };
  const trusted = trustedDevice(guard, source.trustHash, nowMs) !== null;
  const twoFactorRequired = user.twoFactorEnabled && !trusted;
  const outcome = { outcome: "authenticated", twoFactorRequired, familiar } as const;
  if (twoFactorRequired && countersFor(guard, familiar).password.failures.length === 0) return { next: null, outcome };
  const next = draft(account);
  countersFor(next.guard, familiar).password.failures = [];
  if (!twoFactorRequired) {
    next.guard.lastLoginInstant = nowMs;
    rememberNetwork(next.guard, source.network, nowMs);
    const device = trustedDevice(next.guard, source.trustHash, nowMs);
    if (device) device.lastUsedAt = nowMs;
  }
  return { next, outcome };
}

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

/**
 * The step to text the user: never one the replay guard has consumed (right after a login or enable
 * it is the next step, which the ±1 window accepts), and acceptable for the SMS code lifetime even
 * after it has passed, since SMS can be slow. `next` records that window.
 */
export function textStep(account: Account, nowMs: number, config: Config): { next: Account; step: number } {
  const next = draft(account);
  const step = Math.max(timeStep(nowMs), account.guard.lastAcceptedStep + 1);
  const expiresAt = nowMs + config.sms.codeTtlSeconds * 1000;
  next.guard.smsCodes = [...liveCodes(account.guard.smsCodes, nowMs).filter((sent) => sent.step !== step), { step, expiresAt }].slice(-MAX_SMS_CODES);
  return { next, step };
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

/** A code as submitted: the TOTP step it matched (or null), and its recovery-code hash when it has that shape. */
export type SubmittedCode = { code: string; step: number | null; recoveryHashes?: string[] };

export type CodeVerdict =
  /** `recoveryCode`: a recovery code was used up. */
  | { outcome: "accepted"; recoveryCode?: true }
  /**
   * `counted`: whether it counted toward the lockout (and the challenge's attempts). `nextCodeAt`
   * (ms), when the code was right but its step already used: when the authenticator shows a newer one.
   * `locked`: this wrong code locked login.
   */
  | { outcome: "invalid-code"; counted: boolean; nextCodeAt?: number; locked?: LoginPrevention }
  | { outcome: "prevented"; prevention: LoginPrevention };

/**
 * Accepts `step` (the step `code` matched, or null) if it is newer than the last accepted one, on a
 * draft. `guarded` checks (login, disable) honour the lockout and count wrong codes toward it;
 * enrolment does neither, since a user fumbling a new authenticator must not lock their own login.
 */
function acceptCode(next: Account, submitted: SubmittedCode, nowMs: number, config: Config, guarded: boolean, familiar = false): CodeVerdict {
  const { code, step, recoveryHashes } = submitted;
  const guard = next.guard;
  const counters = countersFor(guard, familiar);
  const prevented = guarded ? prevention(counters, nowMs) : null;
  if (prevented) return { outcome: "prevented", prevention: prevented };
  // A recovery code is single use: it leaves the set as it is accepted (one decision, one write).
  const recoveryIndex = guarded && recoveryHashes ? guard.recoveryCodes.findIndex((stored) => recoveryHashes.includes(stored)) : -1;
  if (recoveryIndex >= 0) {
    guard.recoveryCodes = guard.recoveryCodes.filter((_, index) => index !== recoveryIndex);
    counters.consecutiveCodeFailures = 0;
    return { outcome: "accepted", recoveryCode: true };
  }
  if (step !== null && step > guard.lastAcceptedStep) {
    guard.lastAcceptedStep = step;
    counters.consecutiveCodeFailures = 0;
    guard.smsCodes = liveCodes(guard.smsCodes, nowMs).filter((sent) => sent.step > step);
    return { outcome: "accepted" };
  }
  // A replayed code is refused but proves possession of the secret, so only codes that match no
  // acceptable step count. RFC 4226 §7.3: they count across logins, and every `failuresPerLock` of
  // them in a row lock login, for twice as long each time.
  if (step !== null) return { outcome: "invalid-code", counted: false, nextCodeAt: stepStart(guard.lastAcceptedStep + 1) };
  const retried = counters.lastWrongCode?.code === code && nowMs - counters.lastWrongCode.at < REPEAT_WINDOW_MS;
  if (!guarded || retried) return { outcome: "invalid-code", counted: false };
  const { failuresPerLock, baseSeconds, maxSeconds } = config.twoFactorLockout;
  counters.consecutiveCodeFailures += 1;
  if (counters.consecutiveCodeFailures % failuresPerLock === 0) {
    const locks = counters.consecutiveCodeFailures / failuresPerLock;
    counters.codeLockedUntil = nowMs + Math.min(baseSeconds * 2 ** (locks - 1), maxSeconds) * 1000;
    counters.lastWrongCode = { code, at: nowMs };
    return { outcome: "invalid-code", counted: true, locked: { until: counters.codeLockedUntil, reason: "two-factor" } };
  }
  counters.lastWrongCode = { code, at: nowMs };
  return { outcome: "invalid-code", counted: true };
}

/** Keeps a decision's draft only when it changed something the object must remember. */
const keepIf = <O>(next: Account, changed: boolean, outcome: O): Decision<O> => ({ next: changed ? next : null, outcome });

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
  const { familiar, network, applicationId } = next.guard.challenges[key]!;
  const verdict = acceptCode(next, code, nowMs, config, true, familiar);
  if (verdict.outcome === "accepted") {
    delete next.guard.challenges[key];
    next.guard.lastLoginInstant = nowMs;
    rememberNetwork(next.guard, network, nowMs);
    if (trustHash) {
      const device = { issuedAt: nowMs, lastUsedAt: nowMs, expiresAt: nowMs + config.twoFactorTrustIdTtlSeconds * 1000, applicationId };
      next.guard.trust = { ...liveTrust(next.guard.trust, nowMs), [trustHash]: device };
    }
    return { next, outcome: verdict };
  }
  if (verdict.outcome === "invalid-code" && verdict.counted) {
    const challenge = next.guard.challenges[key]!;
    challenge.failedAttempts += 1;
    if (challenge.failedAttempts >= config.maxCodeAttemptsPerChallenge) delete next.guard.challenges[key];
  }
  return keepIf(next, verdict.outcome === "invalid-code" && verdict.counted, verdict);
}

/** The newest live trust ids, leaving room for one more. */
function liveTrust(trust: Record<string, TrustedDevice>, nowMs: number): Record<string, TrustedDevice> {
  const live = Object.entries(trust).filter(([, device]) => device.expiresAt > nowMs);
  live.sort(([, a], [, b]) => b.expiresAt - a.expiresAt);
  return Object.fromEntries(live.slice(0, MAX_TRUSTED_DEVICES - 1));
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
