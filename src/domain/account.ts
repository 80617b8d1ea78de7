// What a user's Durable Object keeps: the record and the guard state (counters, replay guard,
// trust, pending logins, SMS windows), versioned for the KV replica. The decisions over it live
// beside this file (lockout, trust, codes, challenges, login, enrolment); each returns the next
// state (null when nothing changed) and an outcome, so the object only loads, applies and saves.
import type { Config } from "./config";
import { publicMethod, type MethodKind, type PublicMethod } from "./methods";
import { publicUser, twoFactorEnabled, type PublicUser, type UserRecord } from "./user";

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
  /**
   * The one-time code sent for this login (to `methodId`) or given to Start (no method), as its
   * keyed hash (src/crypto/one-time-codes.ts); a new send replaces it (FusionAuth: each send
   * invalidates the earlier codes of the twoFactorId).
   */
  otp?: { hash: string; methodId?: string };
  /** Opened by Start (`POST /api/two-factor/start`), not by a password; `state` (JSON) is echoed by the completion. */
  started?: true;
  state?: string;
};

/**
 * A code sent to enable a method (`method`, to `value`) or to disable one (`methodId`), as its keyed
 * hash; single use, until `expiresAt`. A new send replaces it (FusionAuth deletes a user's earlier
 * one-time codes).
 */
export type OneTimeCode = { hash: string; expiresAt: number } & (
  { purpose: "enable"; method: Exclude<MethodKind, "authenticator">; value: string } | { purpose: "disable"; methodId: string }
);

/** Failure counters and the locks they lead to, kept apart for familiar and unfamiliar sources. */
export type Counters = {
  password: PasswordFailures;
  consecutiveCodeFailures: number;
  codeLockedUntil: number;
  /** The last counted wrong code (it matched no step, so it is not a secret) and when. */
  lastWrongCode?: { code: string; at: number };
};

/** A device trusted at a 2FA login ("trust this computer"), kept under the SHA-256 of its trust id. */
export type TrustedDevice = {
  issuedAt: number;
  lastUsedAt: number;
  expiresAt: number;
  applicationId?: string;
  /** Wrong passwords sent with this device's trust id: only they lock it. */
  password?: PasswordFailures;
};

/** Login records `first` … `next - 1` exist, the one at `first` made at `oldest`. */
export type LoginRecordIndex = { first: number; next: number; oldest?: number };

export type Guard = Counters & {
  /** Counts 2FA enrolments: bumped on every enable and disable. */
  generation: number;
  /**
   * A random value every access token of the account carries (claim `tokenStamp`), drawn when the
   * account is created or imported and replaced when the tokens issued so far must stop working: a
   * new password, a deactivation, an admin turning 2FA off. Random, not a counter or a time: a user
   * deleted and re-created with the same id never gets the old account's stamp back. (ASP.NET Core
   * Identity's "security stamp" works the same way.)
   */
  tokenStamp: string;
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
  /** The last enable or disable code sent, if any. */
  oneTimeCode?: OneTimeCode;
  challenges: Record<string, Challenge>;
  /** Kept with the guard, not the record: a login then rewrites only the small guard state. */
  lastLoginInstant?: number;
  /** The method that last completed a two-factor login (FusionAuth's `lastUsed`), kept here for the same reason. */
  lastUsedMethodId?: string;
  /** Which login records the object holds (src/objects/user/login-records.ts), saved with the guard state. */
  loginRecords?: LoginRecordIndex;
};

/** Everything one user is: the record and the guard state, versioned for the KV replica. */
export type Account = { version: number; user: UserRecord; guard: Guard };

export type Decision<O> = { next: Account | null; outcome: O };

export const newCounters = (): Counters => ({ password: { failures: [], lockedUntil: 0 }, consecutiveCodeFailures: 0, codeLockedUntil: 0 });

/** A new account's guard state; `tokenStamp`: a fresh random stamp (src/crypto/random.ts). */
export const newGuard = (tokenStamp: string): Guard => ({
  ...newCounters(),
  generation: 0,
  tokenStamp,
  lastAcceptedStep: -1,
  familiar: newCounters(),
  networks: {},
  trust: {},
  recoveryCodes: [],
  smsCodes: [],
  challenges: {},
});

/**
 * A guard as stored by any version: before recovery codes there were none, a trust id was kept as
 * its bare expiry (ms), issued one trust lifetime before it, and there was no token stamp: such an
 * account has the empty stamp until a change replaces it (tokens issued before stamps carry none and
 * are refused, so no token from before survives a delete and re-create).
 */
export function upgradeGuard(stored: Guard, config: Config): Guard {
  const trust = Object.entries(stored.trust as Record<string, TrustedDevice | number>).map(([hash, device]) => {
    if (typeof device !== "number") return [hash, device] as const;
    const issuedAt = device - config.twoFactorTrustIdTtlSeconds * 1000;
    return [hash, { issuedAt, lastUsedAt: issuedAt, expiresAt: device }] as const;
  });
  return { ...stored, recoveryCodes: stored.recoveryCodes ?? [], tokenStamp: stored.tokenStamp ?? "", trust: Object.fromEntries(trust) };
}

/**
 * A copy to change; the input state is never modified. The record is shared, not copied: decisions
 * that change it replace it whole, so the object can tell when it must be written.
 */
export const draft = (account: Account): Account => ({ version: account.version + 1, user: account.user, guard: structuredClone(account.guard) });

/** Keeps a decision's draft only when it changed something the object must remember. */
export const keepIf = <O>(next: Account, changed: boolean, outcome: O): Decision<O> => ({ next: changed ? next : null, outcome });

/** The user as the API shows it: the public record and the last login. */
export function publicAccount(account: Account): PublicUser {
  const user = publicUser(account.user, account.guard.lastLoginInstant, account.guard.lastUsedMethodId);
  return twoFactorEnabled(account.user) ? { ...user, twoFactorRecoveryCodesRemaining: account.guard.recoveryCodes.length } : user;
}

/** The user's methods as the API shows them. */
export const publicMethods = (account: Account): PublicMethod[] =>
  account.user.twoFactor.methods.map((method) => publicMethod(method, account.guard.lastUsedMethodId));

/**
 * The account, unless an access token carrying `tokenStamp` asks and the account's stamp is another
 * (its tokens were ended, or this is a later account with the same id). The stamp is no secret (only
 * a token signed with the service's key can present one), so a plain comparison does.
 */
export function accountFor(account: Account | null, tokenStamp: string | undefined): Account | null {
  if (!account || tokenStamp === undefined) return account;
  return account.guard.tokenStamp === tokenStamp ? account : null;
}
