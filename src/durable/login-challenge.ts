// One object per pending two-factor login (`twoFactorId`). It expires by alarm and by a check on
// every read, is single-use, and dies after too many wrong codes. Completions of one challenge run
// one at a time, so two valid codes submitted together cannot both log in.
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../domain/config";
import { encodeBase64Url, randomBytes } from "../domain/encoding";
import type { LoginPrevention } from "../domain/errors";
import type { TwoFactorDelivery } from "../storage/users";
import { userGuard } from "./user-guard";

export type ChallengeData = {
  userId: string;
  /** The user's 2FA enrolment this challenge was issued under (see UserGuard.checkCode). */
  generation: number;
  applicationId?: string;
  ipAddress?: string;
  /** The request's `metaData` as JSON, kept for the login record. */
  metaData?: string;
  /**
   * The user as the password step saw it (`publicUser`, as JSON), so completing the login needs no
   * KV read: the profile is at most one challenge lifetime old, the 2FA state comes from the guard.
   */
  user: string;
  noJWT: boolean;
  expiresAt: number;
};

type StoredChallenge = ChallengeData & { failedAttempts: number; smsSends: number };

export type SendReservation =
  | { outcome: "allowed"; userId: string }
  | { outcome: "not-found" }
  | { outcome: "limited"; retryAfterSeconds: number };

export type CompletionResult =
  | { outcome: "accepted"; challenge: ChallengeData; delivery: TwoFactorDelivery; trustId?: string }
  | { outcome: "not-found" }
  | { outcome: "invalid-code"; counted: boolean }
  | { outcome: "prevented"; prevention: LoginPrevention };

const TWO_FACTOR_ID = /^[A-Za-z0-9_-]{43}$/;

export class LoginChallenge extends DurableObject<Env> {
  private queue: Promise<unknown> = Promise.resolve();

  async create(challenge: ChallengeData): Promise<void> {
    this.ctx.storage.kv.put("challenge", { ...challenge, failedAttempts: 0, smsSends: 0 } satisfies StoredChallenge);
    await this.ctx.storage.setAlarm(challenge.expiresAt);
  }

  /** The live challenge, or null when it never existed, expired or was used. */
  peek(nowMs: number): ChallengeData | null {
    const stored = this.ctx.storage.kv.get<StoredChallenge>("challenge");
    if (!stored || stored.expiresAt <= nowMs) return null;
    const { failedAttempts: _attempts, smsSends: _sends, ...challenge } = stored;
    return challenge;
  }

  /**
   * Counts one SMS for this login; refused past the per-challenge limit (SPEC §4), until the
   * challenge expires and a new login starts over.
   */
  reserveSend(nowMs: number): SendReservation {
    const stored = this.ctx.storage.kv.get<StoredChallenge>("challenge");
    if (!stored || stored.expiresAt <= nowMs) return { outcome: "not-found" };
    if (stored.smsSends >= readConfig(this.env).sms.maxPerChallenge) {
      return { outcome: "limited", retryAfterSeconds: Math.ceil((stored.expiresAt - nowMs) / 1000) };
    }
    this.ctx.storage.kv.put("challenge", { ...stored, smsSends: stored.smsSends + 1 });
    return { outcome: "allowed", userId: stored.userId };
  }

  /** Gives back a reserved send that did not go out (refused by the phone's limit, Twilio failed). */
  releaseSend(): void {
    const stored = this.ctx.storage.kv.get<StoredChallenge>("challenge");
    if (stored && stored.smsSends > 0) this.ctx.storage.kv.put("challenge", { ...stored, smsSends: stored.smsSends - 1 });
  }

  complete(code: string, nowMs: number, trustComputer: boolean): Promise<CompletionResult> {
    const result = this.queue.then(() => this.completeNow(code, nowMs, trustComputer));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async alarm(): Promise<void> {
    const stored = this.ctx.storage.kv.get<StoredChallenge>("challenge");
    // Alarms are delivered at least once and may run early after a retry: only delete when due.
    if (stored && stored.expiresAt > Date.now()) await this.ctx.storage.setAlarm(stored.expiresAt);
    else await this.discard();
  }

  private async completeNow(code: string, nowMs: number, trustComputer: boolean): Promise<CompletionResult> {
    const challenge = this.peek(nowMs);
    if (!challenge) return { outcome: "not-found" };
    const check = await userGuard(this.env, challenge.userId).checkCode(code, nowMs, { generation: challenge.generation, trustComputer });
    switch (check.outcome) {
      case "accepted":
        await this.discard();
        return { outcome: "accepted", challenge, delivery: check.delivery, trustId: check.trustId };
      case "not-enabled":
        await this.discard();
        return { outcome: "not-found" };
      case "prevented":
        return check;
      case "invalid-code": {
        if (!check.counted) return check;
        const stored = this.ctx.storage.kv.get<StoredChallenge>("challenge")!;
        stored.failedAttempts += 1;
        if (stored.failedAttempts >= readConfig(this.env).maxCodeAttemptsPerChallenge) await this.discard();
        else this.ctx.storage.kv.put("challenge", stored);
        return check;
      }
    }
  }

  /** Deletes the one key rather than `deleteAll()`, which costs several times more. */
  private async discard(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    this.ctx.storage.kv.delete("challenge");
  }
}

export function newTwoFactorId(): string {
  return encodeBase64Url(randomBytes(32));
}

/** The challenge object for a syntactically valid id, or null (answered 404 without touching storage). */
export function loginChallenge(env: Env, twoFactorId: string) {
  if (!TWO_FACTOR_ID.test(twoFactorId)) return null;
  return env.LOGIN_CHALLENGE.get(env.LOGIN_CHALLENGE.idFromName(twoFactorId));
}
