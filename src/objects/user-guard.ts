// One object per user: the owner of the whole account (profile, password hash, access, 2FA
// enrolment, pending logins, replay guard, lockouts, trust ids). Every change is decided by the
// modules of src/domain (lockout, trust, codes, challenges, login, enrolment) and saved here in one
// write; the KV replica follows each commit.
//
// Each method finishes its slow work (PBKDF2, decryption, HMACs, calls to other objects) first and
// then reads, decides and writes with no await in between, so concurrent requests for one user
// cannot interleave inside a decision. Changes to the record itself (User API, enable, disable)
// also run one at a time, each starting from the state the previous one left.
import { DurableObject } from "cloudflare:workers";
import { type Config } from "../domain/config";
import { readConfig } from "../kv/config";
import { sha256Hex } from "../crypto/compare";
import { openTwoFactorKey, sealTwoFactorKey } from "../crypto/keyring";
import { randomToken } from "../crypto/random";
import { capture, tooManySendsProblem, twoFactorNotEnabled, type LoginPrevention, type Outcome, type Problem } from "../domain/failures";
import { codeProblem, loginIdTaken, needsPhone, noPhone, notFound, twoFactorAlreadyEnabled, userIdTaken } from "../domain/problems";
import { newGuard, publicAccount, upgradeGuard, type Account, type Challenge, type Guard, type PasswordFailures, type SentCode } from "../domain/account";
import { liveChallenge, nextExpiry, openChallenge, pruneChallenges, releaseSend, reserveChallengeSend, type ChallengeDetails } from "../domain/challenges";
import { acceptableSteps, textStep, type SubmittedCode } from "../domain/codes";
import { disableTwoFactor, enableTwoFactor, replaceRecoveryCodes, replaceUser } from "../domain/enrolment";
import { passwordPrevention, recordPasswordFailure, unlock as liftLocks } from "../domain/lockout";
import { completeChallenge, decidePassword } from "../domain/login";
import { revokedTrustCount, revokeTrust, trustedDevices, trustStatus, type TrustedDeviceView } from "../domain/trust";
import { recoveryCodeHashes } from "../crypto/recovery-codes";
import { dummyPasswordHash, type PasswordHash } from "../domain/password";
import { verifyPassword } from "../crypto/password";
import { findMatchingStepIn, hotp, importTotpKey } from "../crypto/totp";
import { newChallengeKey } from "../crypto/two-factor-id";
import { loginIdName } from "../crypto/login-id-name";
import { newTotpSecret } from "../crypto/random";
import { applyProfile, applyTwoFactor, checkDataSize, requireLoginId, type UserInput } from "../domain/user-input";
import { loginIdsOf, sameLoginId, type LoginId, type PublicUser, type TwoFactorDelivery, type UserRecord } from "../domain/user";
import { userReplicas } from "../kv/users";
import { LatestWriter } from "./latest-writer";
import { LoginRecords, type LoginRecord, type LoginRecordQuery } from "./login-records";

/**
 * How the guard state is stored: beside the record, with the account's version and when the KV
 * replica must next follow a change (the object is evicted long before LOGIN_REPLICA_DELAY_MS, and
 * the alarm that writes the replica then runs in a new one).
 */
type StoredGuard = { version: number; guard: Guard; replicaDueAt?: number };

/** A code to text: where, what, and the step it belongs to (to withdraw it if the text fails). */
export type TextedCode = { phone: string; code: string; step: number };

/** `details` are kept with a pending login; `network` (see src/domain/network.ts) tells familiar sources. */
export type LoginAttempt = {
  loginId: string;
  password: string;
  trustId?: string;
  network?: string;
  details: Omit<ChallengeDetails, "familiar" | "network">;
  nowMs: number;
};

export type LoginResult =
  /** `locked`: this wrong password locked login. */
  | { outcome: "wrong-password"; locked?: LoginPrevention }
  | { outcome: "prevented"; prevention: LoginPrevention }
  | { outcome: "expired" }
  | { outcome: "inactive" }
  | { outcome: "authenticated"; user: PublicUser }
  | { outcome: "challenge"; challengeKey: string; text?: TextedCode };

export type CompletionResult =
  | { outcome: "not-found" }
  | { outcome: "expired" }
  /** `locked`: this wrong code locked login. */
  | { outcome: "invalid-code"; nextCodeAt?: number; locked?: LoginPrevention }
  | { outcome: "prevented"; prevention: LoginPrevention }
  /** `recoveryCode`: the login used up a recovery code. */
  | { outcome: "accepted"; user: PublicUser; applicationId?: string; noJWT: boolean; trustId?: string; recoveryCode: boolean };

/** A disable: with a recovery code or not, the delivery it had, the valid trusted devices it revoked. */
export type Disabled = { recoveryCode: boolean; delivery: TwoFactorDelivery; trustRevoked: number };

/** Who asks: an API key (any user), or a JWT issued at `issuedAt` (s), which a re-created user rejects. */
export type Caller = { issuedAt?: number };

/** An unknown login id's failure counter, in its decoy object, deleted by the alarm once it expires. */
const DECOY_PREFIX = "decoy:";

/**
 * After a login-only change (the last login instant) the replica follows within this delay: KV takes
 * one write per second per key, and a 2FA login's write rides on the alarm its pending login set.
 */
const LOGIN_REPLICA_DELAY_MS = 300_000;

const failed = (problem: Problem) => ({ ok: false, problem }) as const;

export class UserGuard extends DurableObject<Env> {
  private account: Account | null;
  private readonly config: Config;
  private changes: Promise<unknown> = Promise.resolve();
  private readonly replica = new LatestWriter(() => this.writeReplica());
  private readonly logins: LoginRecords;
  private replicaDueAt: number | null;
  private alarmAt: number | null = null;
  private secretKey: { ciphertext: string; key: CryptoKey } | null = null;
  /** Whose replica this object writes (kept after a delete, to remove it). */
  private userId: string | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const user = ctx.storage.kv.get<UserRecord>("user");
    const guard = ctx.storage.kv.get<StoredGuard>("guard");
    this.config = readConfig(env);
    this.account = user && guard ? { version: guard.version, user, guard: upgradeGuard(guard.guard, this.config) } : null;
    this.userId = this.account?.user.id ?? null;
    this.replicaDueAt = guard?.replicaDueAt ?? null;
    this.logins = new LoginRecords(ctx.storage, this.config.loginRecords);
  }

  // ---- Login ----

  /**
   * The password step. Always one PBKDF2, here or against a decoy hash, so the answer's timing does
   * not tell which login ids exist; an object with no account (an unknown login id's decoy) counts
   * failures and locks exactly like a user's.
   */
  async login(attempt: LoginAttempt): Promise<LoginResult> {
    const account = this.account;
    const known = account !== null && loginIdsOf(account.user).some((id) => sameLoginId(id.value, attempt.loginId));
    const hash = known ? account.user.password : dummyPasswordHash(this.config.passwordFactor);
    const matches = await verifyPassword(attempt.password, hash);
    const trustHash = attempt.trustId ? await sha256Hex(attempt.trustId) : undefined;
    const { nowMs } = attempt;
    if (!this.account) return this.decoyFailure(await loginIdName(attempt.loginId), nowMs);
    if (!known) return { outcome: "wrong-password" }; // a stale index entry: the login id moved on

    // A password changed during the hash is checked against the new one by the next attempt.
    const current = matches && this.account.user.password.hash === hash.hash;
    const decision = decidePassword(this.account, current, { trustHash, network: attempt.network }, nowMs, this.config);
    const verdict = decision.outcome;
    if (verdict.outcome !== "authenticated") {
      if (decision.next) await this.commit(decision.next, "none");
      return verdict;
    }
    let next = decision.next ?? this.account;
    if (!verdict.twoFactorRequired) {
      next = this.recordLogin(next, nowMs, { ...attempt.details, loginId: attempt.loginId });
      await this.commit(next, "later");
      return { outcome: "authenticated", user: publicAccount(next) };
    }
    const challengeKey = newChallengeKey();
    const details = { ...attempt.details, loginId: attempt.loginId, familiar: verdict.familiar, network: attempt.network };
    next = openChallenge(next, challengeKey, details, nowMs, this.config);
    if (next.user.twoFactorDelivery !== "TextMessage" || !next.user.mobilePhone) {
      await this.commit(next, "none");
      return { outcome: "challenge", challengeKey };
    }
    // FusionAuth texts TextMessage users their code as part of the login.
    const reserved = reserveChallengeSend(next, challengeKey, nowMs, this.config);
    const texted = textStep(reserved.next ?? next, nowMs, this.config);
    await this.commit(texted.next, "none");
    return { outcome: "challenge", challengeKey, text: await this.textFor(texted.next, texted.step) };
  }

  /** The second step: a code for the pending login `challengeKey`. */
  async completeLogin(challengeKey: string, code: string, trustComputer: boolean, nowMs: number): Promise<CompletionResult> {
    const account = this.account;
    const challenge = account ? liveChallenge(account, challengeKey, nowMs) : null;
    if (!account || !challenge) {
      const pruned = account && pruneChallenges(account, nowMs);
      if (pruned) await this.commit(pruned, "none");
      return { outcome: "not-found" };
    }
    const submitted = await this.submittedCode(account, code, nowMs);
    const trustId = trustComputer ? randomToken(32) : undefined;
    const trustHash = trustId ? await sha256Hex(trustId) : undefined;
    if (!this.account || this.account.user.twoFactorSecret !== account.user.twoFactorSecret) return { outcome: "not-found" };

    const completed = completeChallenge(this.account, challengeKey, submitted, trustHash, nowMs, this.config);
    const { outcome } = completed;
    const next = completed.next && outcome.outcome === "accepted" ? this.recordLogin(completed.next, nowMs, challenge) : completed.next;
    // A used recovery code changes the count the record shows: the replica follows at once.
    if (next) await this.commit(next, outcome.outcome !== "accepted" ? "none" : outcome.recoveryCode ? "now" : "later");
    if (outcome.outcome === "invalid-code") return { outcome: "invalid-code", nextCodeAt: outcome.nextCodeAt, locked: outcome.locked };
    if (outcome.outcome !== "accepted") return outcome;
    const { applicationId, noJWT } = challenge;
    return { outcome: "accepted", user: publicAccount(next!), applicationId, noJWT, trustId, recoveryCode: outcome.recoveryCode === true };
  }

  /** Reserves a text of the code for the pending login `challengeKey` (at most a few per login). */
  async textChallenge(challengeKey: string, nowMs: number): Promise<Outcome<{ text: TextedCode }>> {
    if (!this.account) return failed(notFound);
    const reserved = reserveChallengeSend(this.account, challengeKey, nowMs, this.config);
    if (reserved.outcome.outcome === "not-found") return failed(notFound);
    if (reserved.outcome.outcome === "limited") return { ok: false, problem: tooManySendsProblem(reserved.outcome.retryAfterSeconds) };
    if (!this.account.user.mobilePhone) return failed(noPhone);
    const texted = textStep(reserved.next!, nowMs, this.config);
    await this.commit(texted.next, "none");
    return { ok: true, text: await this.textFor(texted.next, texted.step) };
  }

  /** Reserves a text of the user's current code (`POST /api/two-factor/send` with a user id or JWT). */
  async textUser(caller: Caller, nowMs: number): Promise<Outcome<{ text: TextedCode }>> {
    const account = this.accountFor(caller);
    if (!account) return failed(notFound);
    if (!account.user.twoFactorEnabled) return { ok: false, problem: twoFactorNotEnabled };
    if (!account.user.mobilePhone) return failed(noPhone);
    const texted = textStep(account, nowMs, this.config);
    await this.commit(texted.next, "none");
    return { ok: true, text: await this.textFor(texted.next, texted.step) };
  }

  /** Gives back a reserved text that did not go out; `withdrawCode` when it surely never arrives. */
  async releaseText(challengeKey: string | undefined, step: number, withdrawCode: boolean): Promise<void> {
    if (this.account) await this.commit(releaseSend(this.account, challengeKey, step, withdrawCode), "none");
  }

  // ---- Two-factor enrolment ----

  /** Enables 2FA once `code` proves the user holds `key`. `smsCodes`: steps the enable helper texted. */
  enable(caller: Caller, key: Uint8Array, code: string, delivery: TwoFactorDelivery, nowMs: number, smsCodes: SentCode[]): Promise<Outcome<object>> {
    return this.change(async () => {
      const account = this.accountFor(caller);
      if (!account) return failed(notFound);
      const step = await findMatchingStepIn(key, code, acceptableSteps(nowMs, smsCodes));
      const secret = await sealTwoFactorKey(this.env.ENCRYPTION_KEY, account.user.id, key);
      const { next, outcome } = enableTwoFactor(this.account!, { code, step }, { delivery, secret }, nowMs, this.config);
      if (next) await this.commit(next, "now");
      switch (outcome.outcome) {
        case "accepted":
          return { ok: true };
        case "already-enabled":
          return failed(twoFactorAlreadyEnabled);
        case "needs-phone":
          return failed(needsPhone);
        default:
          return { ok: false, problem: codeProblem(outcome) };
      }
    });
  }

  /**
   * Disables 2FA when `code` is a current code of the user's secret, or one of their recovery codes;
   * answers the delivery it had and how many valid trusted devices the disable revoked. A wrong code
   * that locked login says so (`locked`), as a login's does.
   */
  disable(caller: Caller, code: string, nowMs: number): Promise<Outcome<Disabled> | { ok: false; problem: Problem; locked: LoginPrevention }> {
    return this.change(async () => {
      const account = this.accountFor(caller);
      if (!account) return failed(notFound);
      if (!account.user.twoFactorEnabled) return { ok: false, problem: twoFactorNotEnabled };
      const submitted = await this.submittedCode(account, code, nowMs);
      const before = this.account!;
      const { next, outcome } = disableTwoFactor(before, submitted, nowMs, this.config);
      if (next) await this.commit(next, outcome.outcome === "accepted" ? "now" : "none");
      if (outcome.outcome === "accepted") {
        const trustRevoked = revokedTrustCount(before, next!, nowMs);
        return { ok: true, recoveryCode: outcome.recoveryCode === true, delivery: account.user.twoFactorDelivery, trustRevoked };
      }
      if (outcome.outcome === "not-enabled") return { ok: false, problem: twoFactorNotEnabled };
      const problem = codeProblem(outcome);
      return outcome.outcome === "invalid-code" && outcome.locked ? { ok: false, problem, locked: outcome.locked } : { ok: false, problem };
    });
  }

  // ---- The account (User and Import APIs) ----

  /** Creates the account from a complete record; fails when the id or a login id is taken. `recoveryCodes`: stored forms (import). */
  create(user: UserRecord, recoveryCodes: string[] = []): Promise<Outcome<{ user: PublicUser }>> {
    return this.change(async () => {
      if (this.account) return failed(userIdTaken(user.id));
      const claimed = await this.claimLoginIds(user.id, loginIdsOf(user), []);
      if (!claimed.ok) return claimed;
      const guard = newGuard();
      if (user.twoFactorEnabled) Object.assign(guard, { generation: 1, recoveryCodes });
      const account = { version: 1, user, guard };
      await this.makeAlarmTable();
      await this.commit(account, "now");
      return { ok: true, user: publicAccount(account) };
    });
  }

  /**
   * Changes the account by the User API's rules: `replace` (PUT) clears profile fields the input
   * leaves out; `password` is the new password's hash. Starts from the current record, so two
   * changes never undo each other. Answers the user after the change and before it (`original`), and
   * how many valid trusted devices the change revoked (a new password, a deactivation, 2FA off).
   */
  update(
    input: UserInput,
    replace: boolean,
    password: PasswordHash | undefined,
    nowMs: number,
  ): Promise<Outcome<{ user: PublicUser; original: PublicUser; trustRevoked: number }>> {
    return this.change(async () => {
      const account = this.account;
      if (!account) return failed(notFound);
      const user: UserRecord = { ...account.user, lastUpdateInstant: nowMs };
      applyProfile(user, input, replace);
      if (password) Object.assign(user, { password, passwordLastUpdateInstant: nowMs });
      const checked = await capture(async () => {
        requireLoginId(user);
        checkDataSize(user);
        const key = applyTwoFactor(user, account.user, input, newTotpSecret().secret);
        if (key) user.twoFactorSecret = await sealTwoFactorKey(this.env.ENCRYPTION_KEY, user.id, key);
      });
      if (!checked.ok) return checked;
      const before = loginIdsOf(account.user);
      const after = loginIdsOf(user);
      const claimed = await this.claimLoginIds(user.id, after, before);
      if (!claimed.ok) return claimed;
      // Logins may have moved the last login instant meanwhile; everything else is ours.
      const current = this.account!;
      const original = publicAccount(current);
      const next = replaceUser(current, user, nowMs);
      await this.commit(next, "now");
      await this.releaseLoginIds(user.id, without(before, after));
      return { ok: true, user: publicAccount(next), original, trustRevoked: revokedTrustCount(current, next, nowMs) };
    });
  }

  // ---- Recovery codes, trusted devices, login records ----

  /** Replaces the user's recovery codes with `hashes` (their stored forms); 2FA must be enabled. */
  replaceRecoveryCodes(caller: Caller, hashes: string[]): Promise<Outcome<object>> {
    return this.change(async () => {
      const account = this.accountFor(caller);
      if (!account) return failed(notFound);
      const { next, outcome } = replaceRecoveryCodes(account, hashes);
      if (outcome.outcome === "not-enabled") return { ok: false, problem: twoFactorNotEnabled };
      await this.commit(next!, "now");
      return { ok: true };
    });
  }

  /** Whether a login with trust id `trustId` would skip the second factor, and the device it names. */
  async trustStatus(trustId: string, nowMs: number): Promise<Outcome<{ trusted: boolean; device: TrustedDeviceView | null }>> {
    const trustHash = await sha256Hex(trustId);
    const account = this.account;
    if (!account) return failed(notFound);
    return { ok: true, ...trustStatus(account, trustHash, nowMs) };
  }

  /** The user's trusted devices (never their trust ids). */
  async listTrust(caller: Caller, nowMs: number): Promise<Outcome<{ devices: TrustedDeviceView[] }>> {
    const account = this.accountFor(caller);
    if (!account) return failed(notFound);
    return { ok: true, devices: trustedDevices(account.guard, nowMs) };
  }

  /** Revokes one trusted device by its `id`, or all of them. */
  revokeTrust(caller: Caller, deviceId: string | undefined, nowMs: number): Promise<Outcome<{ revoked: number }>> {
    return this.change(async () => {
      const account = this.accountFor(caller);
      if (!account) return failed(notFound);
      const { next, outcome } = revokeTrust(account, deviceId, nowMs);
      if (outcome.outcome === "not-found") return failed(notFound);
      await this.commit(next!, "none");
      return { ok: true, revoked: outcome.count };
    });
  }

  /** The user's login records matching `query`, newest first. */
  async searchLogins(query: LoginRecordQuery, nowMs: number): Promise<Outcome<{ logins: LoginRecord[]; total: number }>> {
    if (!this.account) return failed(notFound);
    return { ok: true, ...this.logins.search(query, nowMs) };
  }

  /** Lifts every password and code lock (the admin unlock). */
  unlock(): Promise<Outcome<object>> {
    return this.change(async () => {
      if (!this.account) return failed(notFound);
      await this.commit(liftLocks(this.account), "none");
      return { ok: true };
    });
  }

  /** Deletes the account in one step: its login ids are freed, its storage and replica removed. Answers the user deleted. */
  remove(): Promise<Outcome<{ user: PublicUser }>> {
    return this.change(async () => {
      if (!this.account) return failed(notFound);
      const removed = publicAccount(this.account);
      const user = this.account.user;
      await this.releaseLoginIds(user.id, loginIdsOf(user));
      this.account = null;
      this.secretKey = null;
      await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
      await this.ctx.storage.deleteAll();
      await this.replicateNow(user.id);
      return { ok: true, user: removed };
    });
  }

  /** Expires pending logins and decoy counters, and writes a replica that is due or failed before. */
  async alarm(): Promise<void> {
    const nowMs = Date.now();
    this.alarmAt = null;
    for (const [key, decoy] of this.ctx.storage.kv.list<PasswordFailures>({ prefix: DECOY_PREFIX })) {
      if (this.decoyExpiry(decoy) <= nowMs) this.ctx.storage.kv.delete(key);
    }
    const pruned = this.account && pruneChallenges(this.account, nowMs);
    if (pruned) await this.commit(pruned, "none");
    if (this.replicaDueAt !== null && this.userId) await this.replicateNow(this.userId);
    const due = this.dueTimes();
    if (due.length) await this.schedule(Math.min(...due));
    else await this.ctx.storage.deleteAlarm();
  }

  // ---- Internals ----

  /** Runs record changes one at a time. */
  private change<T>(step: () => Promise<T>): Promise<T> {
    const result = this.changes.then(step);
    this.changes = result.catch(() => undefined);
    return result;
  }

  /** The account, unless the caller's JWT was issued to an earlier user with this id. */
  private accountFor(caller: Caller): Account | null {
    const account = this.account;
    if (!account || caller.issuedAt === undefined) return account;
    return caller.issuedAt >= Math.floor(account.user.insertInstant / 1000) ? account : null;
  }

  private decoyExpiry(decoy: PasswordFailures): number {
    const lastFailure = decoy.failures.length ? Math.max(...decoy.failures) : 0;
    return Math.max(decoy.lockedUntil, lastFailure + this.config.failedAuthentication.resetCountSeconds * 1000);
  }

  /** An unknown login id's wrong password, counted and locked exactly like a user's. */
  private async decoyFailure(name: string, nowMs: number): Promise<LoginResult> {
    const key = `${DECOY_PREFIX}${name}`;
    const decoy = this.ctx.storage.kv.get<PasswordFailures>(key) ?? { failures: [], lockedUntil: 0 };
    const prevention = passwordPrevention(decoy, nowMs);
    if (prevention) return { outcome: "prevented", prevention };
    const next = recordPasswordFailure(decoy, nowMs, this.config);
    this.ctx.storage.kv.put(key, next);
    await this.schedule(this.decoyExpiry(next));
    return { outcome: "wrong-password" };
  }

  /** Records a successful login: `next` with the records' new index, to be committed in the same turn. */
  private recordLogin(next: Account, nowMs: number, details: Pick<Challenge, "applicationId" | "ipAddress" | "metaData" | "loginId">): Account {
    const { applicationId, ipAddress, metaData, loginId } = details;
    const loginRecords = this.logins.add({ instant: nowMs, applicationId, ipAddress, metaData, loginId }, next.guard.loginRecords);
    return { ...next, guard: { ...next.guard, loginRecords } };
  }

  /** A submitted code: the TOTP step it matches, and its stored form if it is shaped like a recovery code. */
  private async submittedCode(account: Account, code: string, nowMs: number): Promise<SubmittedCode> {
    const recoveryHashes = await recoveryCodeHashes(this.env.ENCRYPTION_KEY, account.user.id, code);
    if (recoveryHashes) return { code, step: null, recoveryHashes };
    return { code, step: await this.matchingStep(account, code, nowMs) };
  }

  private async matchingStep(account: Account, code: string, nowMs: number): Promise<number | null> {
    const ciphertext = account.user.twoFactorSecret;
    if (!ciphertext) return null;
    return findMatchingStepIn(await this.totpKey(account.user.id, ciphertext), code, acceptableSteps(nowMs, account.guard.smsCodes));
  }

  private async textFor(account: Account, step: number): Promise<TextedCode> {
    const key = await this.totpKey(account.user.id, account.user.twoFactorSecret!);
    return { phone: account.user.mobilePhone!, code: await hotp(key, step), step };
  }

  /** The TOTP key of the enrolment `ciphertext`, decrypted and imported once while the object stays in memory. */
  private async totpKey(userId: string, ciphertext: string): Promise<CryptoKey> {
    if (this.secretKey?.ciphertext !== ciphertext) {
      const secret = await openTwoFactorKey(this.env.ENCRYPTION_KEY, userId, ciphertext);
      this.secretKey = { ciphertext, key: await importTotpKey(secret) };
    }
    return this.secretKey.key;
  }

  /** Claims the `wanted` login ids that `held` lacks; on a conflict releases what it took. */
  private async claimLoginIds(userId: string, wanted: LoginId[], held: LoginId[]): Promise<Outcome<object>> {
    const taken: LoginId[] = [];
    try {
      for (const loginId of without(wanted, held)) {
        const name = await loginIdName(loginId.value);
        const owner = await this.claimObject(name).claim(name, userId);
        if (owner !== userId) {
          await this.releaseLoginIds(userId, taken);
          return failed(loginIdTaken(loginId));
        }
        taken.push(loginId);
      }
    } catch (error) {
      // Leave no claim behind that no account backs.
      await this.releaseLoginIds(userId, taken).catch(() => undefined);
      throw error;
    }
    return { ok: true };
  }

  /** Releases login ids; runs every release even when some fail, then fails with the first failure. */
  private async releaseLoginIds(userId: string, loginIds: LoginId[]): Promise<void> {
    const results = await Promise.allSettled(loginIds.map(async ({ value }) => this.claimObject(await loginIdName(value)).release(userId)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
  }

  private claimObject(name: string) {
    return this.env.IDENTIFIER_CLAIM.get(this.env.IDENTIFIER_CLAIM.idFromName(name));
  }

  /**
   * Saves `next` (one write) and brings the KV replica along: `now` waits for it (the User API's
   * read-your-writes), `later` lets it follow within LOGIN_REPLICA_DELAY_MS, `none` when the
   * public record did not change.
   */
  private commit(next: Account, replicate: "now" | "later" | "none"): Promise<void> {
    // The record only when it changed (it carries the profile's `data`, up to 64 KiB).
    if (next.user !== this.account?.user) this.ctx.storage.kv.put("user", next.user);
    this.account = next;
    this.userId = next.user.id;
    if (replicate === "now") this.replicaDueAt = null;
    if (replicate === "later") this.replicaDueAt ??= Date.now() + LOGIN_REPLICA_DELAY_MS;
    this.saveGuard();
    if (replicate === "now") return this.replicateNow(next.user.id);
    return this.scheduleNext();
  }

  /**
   * The runtime makes its alarm table at an object's first `setAlarm`, and that schema change makes
   * SQLite compile again every statement the object runs next. A user's first alarm is set by the
   * password step of their first login, so the code step paid for it; made with the account, it is
   * paid once, by the creation (and an import of the user).
   */
  private async makeAlarmTable(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + LOGIN_REPLICA_DELAY_MS);
    await this.ctx.storage.deleteAlarm();
  }

  private saveGuard(): void {
    if (!this.account) return;
    const { version, guard } = this.account;
    this.ctx.storage.kv.put("guard", { version, guard, ...(this.replicaDueAt !== null && { replicaDueAt: this.replicaDueAt }) } satisfies StoredGuard);
  }

  /** Writes the replica now; if KV fails, the change stands and the alarm retries shortly. */
  private async replicateNow(userId: string): Promise<void> {
    const wasDue = this.replicaDueAt !== null;
    try {
      this.replicaDueAt = null;
      await this.replica.request();
      if (wasDue) this.saveGuard();
    } catch (error) {
      console.warn(JSON.stringify({ event: "replica.failed", userId, error: String(error) }));
      this.replicaDueAt = Date.now() + 1000;
      this.saveGuard();
      await this.scheduleNext();
    }
  }

  private async writeReplica(): Promise<void> {
    const account = this.account;
    const replicas = userReplicas(this.env.KV);
    if (account) await replicas.put({ version: account.version, user: publicAccount(account) });
    else if (this.userId) await replicas.delete(this.userId);
  }

  /** What the alarm must come back for: a pending login's expiry, a replica write, a decoy counter. */
  private dueTimes(): number[] {
    const decoys = Array.from(this.ctx.storage.kv.list<PasswordFailures>({ prefix: DECOY_PREFIX }), ([, decoy]) => this.decoyExpiry(decoy));
    return [this.account && nextExpiry(this.account), this.replicaDueAt, ...decoys].filter((at): at is number => typeof at === "number");
  }

  /** Keeps the alarm at the next thing due. */
  private scheduleNext(): Promise<void> {
    const due = [this.account && nextExpiry(this.account), this.replicaDueAt].filter((at): at is number => typeof at === "number");
    return due.length ? this.schedule(Math.min(...due)) : Promise.resolve();
  }

  private async schedule(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > Date.now()) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}

/** The login ids in `ids` that `others` lacks. */
const without = (ids: LoginId[], others: LoginId[]) => ids.filter((id) => !others.some((other) => sameLoginId(other.value, id.value)));

type Methods =
  | "login"
  | "completeLogin"
  | "textChallenge"
  | "textUser"
  | "releaseText"
  | "enable"
  | "disable"
  | "create"
  | "update"
  | "replaceRecoveryCodes"
  | "trustStatus"
  | "listTrust"
  | "revokeTrust"
  | "searchLogins"
  | "unlock"
  | "remove";

/** The object's methods as its callers see them (plain results: RPC's stub types hide the unions). */
export type UserGuardStub = { [K in Methods]: (...args: Parameters<UserGuard[K]>) => Promise<Awaited<ReturnType<UserGuard[K]>>> };

const stub = (env: Env, name: string) => env.USER_GUARD.get(env.USER_GUARD.idFromName(name)) as unknown as UserGuardStub;

/** The object of user `userId`. */
export const userGuard = (env: Env, userId: string) => stub(env, userId);

/**
 * The object that stands in for an unknown login id: one per login id, as a user has one, so it is
 * as cold or warm as a user's would be and does the same work with the same lockout.
 */
export const decoyGuard = (env: Env, loginIdName: string) => stub(env, `unknown:${loginIdName}`);
