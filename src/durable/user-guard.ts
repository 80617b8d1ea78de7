// One object per user: the source of truth for everything decided at login time (SPEC §3). Each
// method finishes its crypto first and then reads, checks and writes the in-memory state with no
// await in between, so concurrent requests for one user cannot interleave inside a decision.
import { DurableObject } from "cloudflare:workers";
import { readConfig, type Config } from "../domain/config";
import { sha256Hex } from "../domain/compare";
import { encodeBase64Url, randomBytes } from "../domain/encoding";
import type { LoginPrevention } from "../domain/errors";
import { findMatchingStepIn, hotp, timeStep } from "../domain/totp";
import { decrypt, encrypt } from "../storage/encryption";
import type { TwoFactorDelivery } from "../storage/users";

export type TwoFactorStatus = { enabled: boolean; delivery: TwoFactorDelivery; generation: number };

/**
 * What the password check needs beyond the KV record: deactivation and password changes must take
 * effect at once everywhere, while a KV read elsewhere may still return the previous record.
 */
export type Access = { active: boolean; passwordChangedAt: number };

type GuardState = {
  userId: string;
  access: Access;
  twoFactor: TwoFactorStatus & { secret?: string };
  /** RFC 6238 §5.2: the newest accepted time step; a code for this step or an older one is refused. */
  lastAcceptedStep: number;
  consecutiveCodeFailures: number;
  codeLockedUntil: number;
  passwordFailures: number[];
  passwordLockedUntil: number;
  /** SHA-256 of each trust id → its expiry (ms). */
  trust: Record<string, number>;
  /** Kept here rather than in the KV record: KV allows one write per second per key. */
  lastLoginInstant?: number;
  /** Time steps whose codes went out by SMS, acceptable until `expiresAt` although the step has passed. */
  smsCodes?: SentCode[];
  /** The last counted wrong code (it matched no step, so it is not a secret) and when. */
  lastWrongCode?: { code: string; at: number };
};

export type SentCode = { step: number; expiresAt: number };

export type GuardSnapshot = TwoFactorStatus & { secret?: string; lastLoginInstant?: number };

export type PasswordCheck =
  | { outcome: "prevented"; prevention: LoginPrevention }
  | { outcome: "wrong-password" }
  | { outcome: "inactive" }
  | { outcome: "authenticated"; twoFactorRequired: boolean; twoFactor: TwoFactorStatus };

export type CodeCheck =
  | { outcome: "accepted"; delivery: TwoFactorDelivery; trustId?: string }
  /** `counted`: whether it counted toward the lockout (and the challenge's attempts). */
  | { outcome: "invalid-code"; counted: boolean }
  | { outcome: "prevented"; prevention: LoginPrevention }
  | { outcome: "not-enabled" };

export type EnableResult = { outcome: "enabled"; secret: string } | { outcome: "already-enabled" } | Exclude<CodeCheck, { outcome: "accepted" }>;

const MAX_TRUSTED_DEVICES = 20;
const MAX_SMS_CODES = 10;
/**
 * Browsers and Node's fetch resend a request answered 421 (the Fetch standard's "Misdirected
 * Request"), which is FusionAuth's wrong-code status: the same wrong code again this soon is that
 * retry, not another guess.
 */
const REPEAT_WINDOW_MS = 10_000;

const liveCodes = (codes: SentCode[] | undefined, nowMs: number) => (codes ?? []).filter((sent) => sent.expiresAt > nowMs);

/** The ±1 window of RFC 6238 §5.2 around now, plus codes recently sent by SMS. */
export function acceptableSteps(nowMs: number, smsCodes: SentCode[] | undefined): number[] {
  const now = timeStep(nowMs);
  const window = [now, now - 1, now + 1];
  return [...window, ...liveCodes(smsCodes, nowMs).map((sent) => sent.step).filter((step) => !window.includes(step))];
}

export class UserGuard extends DurableObject<Env> {
  private state: GuardState | undefined;
  private readonly config: Config;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.state = ctx.storage.kv.get<GuardState>("state");
    this.config = readConfig(env);
  }

  /** Claims this user id; false when a user with this id already exists. */
  create(userId: string, access: Access): boolean {
    if (this.state) return false;
    this.save({
      userId,
      access,
      twoFactor: { enabled: false, delivery: "None", generation: 0 },
      lastAcceptedStep: -1,
      consecutiveCodeFailures: 0,
      codeLockedUntil: 0,
      passwordFailures: [],
      passwordLockedUntil: 0,
      trust: {},
    });
    return true;
  }

  async destroy(): Promise<void> {
    this.state = undefined;
    await this.ctx.storage.deleteAll();
  }

  /** The authoritative 2FA enrolment (`secret` is the ciphertext) and the last login. */
  snapshot(): GuardSnapshot | null {
    return this.state ? { ...this.state.twoFactor, lastLoginInstant: this.state.lastLoginInstant } : null;
  }

  setAccess(access: Access): void {
    this.save({ ...this.requireState(), access });
  }

  /**
   * Decides a password login. `passwordMatches` is the check against the KV record, which only
   * counts if that record is as new as the last password change this object knows of.
   */
  async checkPassword(passwordMatches: boolean, recordPasswordChangedAt: number, trustId: string | undefined, nowMs: number): Promise<PasswordCheck> {
    const trustHash = trustId ? await sha256Hex(trustId) : undefined;
    const state = this.state;
    if (!state) {
      // A decoy for an unknown login id (or a deleted user's stale record): the same storage write
      // as a wrong password, so the response time does not tell which login ids exist.
      this.ctx.storage.kv.put("unknownLoginAt", nowMs);
      return { outcome: "wrong-password" };
    }
    const prevention = this.prevention(state, nowMs);
    if (prevention) return { outcome: "prevented", prevention };
    if (!passwordMatches || recordPasswordChangedAt !== state.access.passwordChangedAt) {
      this.recordPasswordFailure(state, nowMs);
      return { outcome: "wrong-password" };
    }
    if (!state.access.active) return { outcome: "inactive" };
    const trusted = trustHash !== undefined && (state.trust[trustHash] ?? 0) > nowMs;
    const twoFactorRequired = state.twoFactor.enabled && !trusted;
    state.passwordFailures = [];
    if (!twoFactorRequired) state.lastLoginInstant = nowMs;
    this.save(state);
    const { enabled, delivery, generation } = state.twoFactor;
    return { outcome: "authenticated", twoFactorRequired, twoFactor: { enabled, delivery, generation } };
  }

  /**
   * Checks a code against the stored secret, for a disable or for a login. A login's `generation`
   * pins the 2FA enrolment its challenge was issued under, so disabling revokes pending challenges.
   */
  async checkCode(code: string, nowMs: number, login?: { generation: number; trustComputer: boolean }): Promise<CodeCheck> {
    const secret = this.state?.twoFactor.enabled ? this.state.twoFactor.secret : undefined;
    if (!secret) return { outcome: "not-enabled" };
    const key = await decrypt(this.env.ENCRYPTION_KEY, secret, secretContext(this.state!.userId));
    const step = await findMatchingStepIn(key, code, acceptableSteps(nowMs, this.state!.smsCodes));
    const trustId = login?.trustComputer ? encodeBase64Url(randomBytes(32)) : undefined;
    const trustHash = trustId ? await sha256Hex(trustId) : undefined;

    const state = this.requireState();
    if (!state.twoFactor.enabled || state.twoFactor.secret !== secret) return { outcome: "not-enabled" };
    if (login && login.generation !== state.twoFactor.generation) return { outcome: "not-enabled" };
    const result = this.acceptStep(state, step, nowMs, { code });
    if (result.outcome !== "accepted" || !login) return result;
    state.lastLoginInstant = nowMs;
    if (trustHash) {
      this.pruneTrust(state, nowMs);
      state.trust[trustHash] = nowMs + this.config.twoFactorTrustIdTtlSeconds * 1000;
    }
    this.save(state);
    return { ...result, trustId };
  }

  /**
   * Enables 2FA once `code` proves the user holds `key`; the code counts as used. `smsCodes` are
   * the steps sent for this secret by the enable helper (src/storage/enrolment-codes.ts).
   */
  async enableTwoFactor(key: Uint8Array, code: string, delivery: TwoFactorDelivery, nowMs: number, smsCodes: SentCode[] = []): Promise<EnableResult> {
    const step = await findMatchingStepIn(key, code, acceptableSteps(nowMs, smsCodes));
    const secret = await encrypt(this.env.ENCRYPTION_KEY, key, secretContext(this.requireState().userId));
    const state = this.requireState();
    if (state.twoFactor.enabled) return { outcome: "already-enabled" };
    const result = this.acceptStep(state, step, nowMs, null);
    if (result.outcome !== "accepted") return result;
    state.twoFactor = { enabled: true, delivery, secret, generation: state.twoFactor.generation + 1 };
    this.save(state);
    return { outcome: "enabled", secret };
  }

  /**
   * The code to text the user, or null without 2FA. Never a step the replay guard has consumed
   * (right after a login or enable it is the next step, which the ±1 window accepts), and it stays
   * acceptable for the SMS code lifetime even after its step has passed: SMS can be slow.
   */
  async smsCode(nowMs: number): Promise<{ code: string; step: number } | null> {
    const secret = this.state?.twoFactor.enabled ? this.state.twoFactor.secret : undefined;
    if (!secret) return null;
    const key = await decrypt(this.env.ENCRYPTION_KEY, secret, secretContext(this.state!.userId));
    const state = this.requireState();
    const step = Math.max(timeStep(nowMs), state.lastAcceptedStep + 1);
    const expiresAt = nowMs + this.config.sms.codeTtlSeconds * 1000;
    state.smsCodes = [...liveCodes(state.smsCodes, nowMs).filter((sent) => sent.step !== step), { step, expiresAt }].slice(-MAX_SMS_CODES);
    this.save(state);
    return { code: await hotp(key, step), step };
  }

  /** Withdraws a code whose text Twilio refused: it never reached the user. */
  forgetSmsCode(step: number): void {
    const state = this.requireState();
    state.smsCodes = (state.smsCodes ?? []).filter((sent) => sent.step !== step);
    this.save(state);
  }

  async disableTwoFactor(code: string, nowMs: number): Promise<CodeCheck> {
    const result = await this.checkCode(code, nowMs);
    if (result.outcome === "accepted") this.setTwoFactor(null);
    return result;
  }

  /**
   * Sets 2FA without a code, for the User and Import APIs (the caller holds an API key). `null`
   * disables: the secret and delivery reset and every trust id and pending challenge is revoked.
   */
  setTwoFactor(enrolment: { delivery: TwoFactorDelivery; secret: string } | null): void {
    const state = this.requireState();
    const generation = state.twoFactor.generation + 1;
    state.twoFactor = enrolment ? { enabled: true, ...enrolment, generation } : { enabled: false, delivery: "None", generation };
    if (!enrolment) state.trust = {};
    this.save(state);
  }

  /**
   * Accepts `step` if it is newer than the last accepted one. `guarded` checks (login, disable)
   * honour the lockout and count wrong codes toward it; enrolment (null) does neither, since a user
   * fumbling a new authenticator must not lock their own login.
   */
  private acceptStep(state: GuardState, step: number | null, nowMs: number, guarded: { code: string } | null): CodeCheck {
    const prevention = guarded ? this.prevention(state, nowMs) : null;
    if (prevention) return { outcome: "prevented", prevention };
    if (step !== null && step > state.lastAcceptedStep) {
      state.lastAcceptedStep = step;
      state.consecutiveCodeFailures = 0;
      state.smsCodes = liveCodes(state.smsCodes, nowMs).filter((sent) => sent.step > step);
      this.save(state);
      return { outcome: "accepted", delivery: state.twoFactor.delivery };
    }
    // A replayed code is refused but proves possession of the secret, so only codes that match no
    // acceptable step count. RFC 4226 §7.3: they count across challenges, and every
    // `failuresPerLock` of them in a row lock login, for twice as long each time.
    const retried = state.lastWrongCode?.code === guarded?.code && nowMs - (state.lastWrongCode?.at ?? 0) < REPEAT_WINDOW_MS;
    if (!guarded || step !== null || retried) return { outcome: "invalid-code", counted: false };
    const { failuresPerLock, baseSeconds, maxSeconds } = this.config.twoFactorLockout;
    state.consecutiveCodeFailures += 1;
    if (state.consecutiveCodeFailures % failuresPerLock === 0) {
      const locks = state.consecutiveCodeFailures / failuresPerLock;
      state.codeLockedUntil = nowMs + Math.min(baseSeconds * 2 ** (locks - 1), maxSeconds) * 1000;
    }
    state.lastWrongCode = { code: guarded.code, at: nowMs };
    this.save(state);
    return { outcome: "invalid-code", counted: true };
  }

  private recordPasswordFailure(state: GuardState, nowMs: number): void {
    const { tooManyAttempts, resetCountSeconds, actionDurationSeconds } = this.config.failedAuthentication;
    state.passwordFailures = [...state.passwordFailures.filter((at) => at > nowMs - resetCountSeconds * 1000), nowMs];
    if (state.passwordFailures.length >= tooManyAttempts) {
      state.passwordLockedUntil = nowMs + actionDurationSeconds * 1000;
      state.passwordFailures = [];
    }
    this.save(state);
  }

  private prevention(state: GuardState, nowMs: number): LoginPrevention | null {
    if (state.codeLockedUntil > nowMs || state.passwordLockedUntil > nowMs) {
      return state.codeLockedUntil >= state.passwordLockedUntil
        ? { until: state.codeLockedUntil, reason: "two-factor" }
        : { until: state.passwordLockedUntil, reason: "password" };
    }
    return null;
  }

  private pruneTrust(state: GuardState, nowMs: number): void {
    const live = Object.entries(state.trust).filter(([, expiry]) => expiry > nowMs);
    live.sort(([, a], [, b]) => b - a);
    state.trust = Object.fromEntries(live.slice(0, MAX_TRUSTED_DEVICES - 1));
  }

  private requireState(): GuardState {
    if (!this.state) throw new Error("user guard used before the user was created");
    return this.state;
  }

  private save(state: GuardState): void {
    this.state = state;
    this.ctx.storage.kv.put("state", state);
  }
}

/** Associated data that binds a user's encrypted secret to that user. */
export const secretContext = (userId: string) => `two-factor-secret:${userId}`;

export function userGuard(env: Env, userId: string) {
  return env.USER_GUARD.get(env.USER_GUARD.idFromName(userId));
}
