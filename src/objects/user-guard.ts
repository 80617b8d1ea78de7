// One object per user: the owner of the whole account (profile, password hash, access, 2FA
// enrolment, pending logins, replay guard, lockouts, trust ids). This file is what it answers;
// its roles live in ./user/ (store, login-id claims, decoys, secret cache, sends, enrolment) and its decisions in
// src/domain (account, lockout, trust, codes, challenges, login, enrolment).
//
// Each change first computes its slow inputs (PBKDF2, decryption, HMACs), then makes one
// `store.transact` call, which reads, decides and writes with no await in between. Record changes
// that read before an await (a claim on another object, sealing a key) also run one at a time.
import { DurableObject } from "cloudflare:workers";
import { sha256Hex } from "../crypto/compare";
import { decoyShardOf } from "../crypto/decoy-shard";
import { sealNewMethods } from "../crypto/keyring";
import { oneTimeCodeHash } from "../crypto/one-time-codes";
import { loginIdName } from "../crypto/login-id-name";
import { verifyPassword } from "../crypto/password";
import { newTokenStamp, newTotpSecret, randomToken } from "../crypto/random";
import { newChallengeKey } from "../crypto/two-factor-id";
import { accountFor, draft, newGuard, publicAccount, publicMethods, type SentCode } from "../domain/account";
import { liveChallenge, pruneChallenges, startChallenge, startedChallenge, type ChallengeDetails, type SentText } from "../domain/challenges";
import type { Config } from "../domain/config";
import { replaceRecoveryCodes, replaceUser } from "../domain/enrolment";
import { renameMethod, type OneTimeCodeTarget } from "../domain/method-enrolment";
import { capture, twoFactorNotEnabled, type Outcome } from "../domain/failures";
import { unlock as liftLocks } from "../domain/lockout";
import { completeChallenge, decidePassword } from "../domain/login";
import { dummyPasswordHash, type PasswordHash } from "../domain/password";
import { codeRequired, notFound, unknownMethod, userIdTaken } from "../domain/problems";
import { revokedTrustCount, revokeTrust, trustedDevices, trustStatus, type TrustedDeviceView } from "../domain/trust";
import { applyMethods, applyProfile, applyTwoFactor, checkDataSize, requireLoginId, sameMethods, type UserInput } from "../domain/user-input";
import type { PublicMethod } from "../domain/methods";
import { loginIdsOf, sameLoginId, twoFactorEnabled, type PublicUser, type TwoFactorDelivery, type UserRecord } from "../domain/user";
import { readConfig } from "../kv/config";
import { LoginIdClaims } from "./user/claims";
import { Decoys } from "./user/decoys";
import { loginRecordOf, type LoginRecord, type LoginRecordQuery } from "./user/login-records";
import { SecretCache } from "./user/secret-cache";
import type {
  Added,
  Caller,
  CodeChecked,
  CodeToSend,
  CompletionResult,
  Disabled,
  LoginAttempt,
  LoginResult,
  MethodToAdd,
  OneTimeCodeDraft,
  Started,
} from "./user/results";
import { StoredVersion } from "./stored-version";
import { AccountStore, accountSteps, codeRefused, failed, refuse, unchanged } from "./user/store";
import { Enrolment } from "./user/enrolment";
import { KeyRotation } from "./user/key-rotation";
import type { UserKeyUsage } from "../domain/key-rotation";
import { Sends, type Text } from "./user/sends";

/** The user after a change and before it (`original`), and how many valid trusted devices it revoked. */
type UpdateResult = Outcome<{ user: PublicUser; original: PublicUser; trustRevoked: number }>;

/** The password step's decision: a login's result, with the text it reserved (sent once committed). */
type PasswordStep = Exclude<LoginResult, { outcome: "challenge" }> | { outcome: "challenge"; challengeKey: string; methods: PublicMethod[]; text?: Text };

export class UserGuard extends DurableObject<Env> {
  private readonly config: Config;
  private readonly store: AccountStore;
  private readonly claims: LoginIdClaims;
  private readonly decoys: Decoys;
  private readonly secrets: SecretCache;
  private readonly sends: Sends;
  private readonly enrolment: Enrolment;
  private readonly keys: KeyRotation;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = readConfig(env);
    const version = new StoredVersion(ctx.storage, "UserGuard", accountSteps(this.config));
    this.store = new AccountStore(ctx.storage, env.KV, this.config, version);
    this.claims = new LoginIdClaims(env.IDENTIFIER_CLAIM);
    this.decoys = new Decoys(ctx.storage.kv, this.config, version);
    this.secrets = new SecretCache(env.ENCRYPTION_KEY);
    this.sends = new Sends(this.store, this.config, this.secrets);
    this.enrolment = new Enrolment(this.store, this.config, this.secrets, env.ENCRYPTION_KEY);
    this.keys = new KeyRotation(this.store, env.ENCRYPTION_KEY);
    // A key was prepended to ENCRYPTION_KEY since this account was sealed: re-seal before the first request.
    if (this.keys.stale()) void ctx.blockConcurrencyWhile(() => this.keys.rotate());
  }

  // ---- Login ----

  /**
   * The password step. Always one PBKDF2, here or against a decoy hash, so the answer's timing does
   * not tell which login ids exist; an object with no account (an unknown login id's decoy) counts
   * failures and locks exactly like a user's.
   */
  async login(attempt: LoginAttempt): Promise<LoginResult> {
    const { nowMs, network } = attempt;
    const before = this.store.account;
    const known = before !== null && loginIdsOf(before.user).some((id) => sameLoginId(id.value, attempt.loginId));
    const hash = known ? before.user.password : dummyPasswordHash(this.config.passwordFactor);
    const matches = await verifyPassword(attempt.password, hash);
    const trustHash = attempt.trustId ? await sha256Hex(attempt.trustId) : undefined;
    if (!this.store.account) return this.decoyLogin(attempt.loginId, nowMs);
    if (!known) return { outcome: "wrong-password" }; // a stale index entry: the login id moved on

    const details = { ...attempt.details, loginId: attempt.loginId };
    const result = await this.store.transact<PasswordStep>((account) => {
      if (!account) return unchanged({ outcome: "wrong-password" });
      // A password changed during the hash is checked against the new one by the next attempt.
      const { next, outcome } = decidePassword(account, matches && account.user.password.hash === hash.hash, { trustHash, network }, nowMs, this.config);
      if (outcome.outcome !== "authenticated") return { next, outcome };
      const passed = next ?? account;
      if (!outcome.twoFactorRequired) {
        return {
          next: passed,
          outcome: { outcome: "authenticated", user: publicAccount(passed), tokenStamp: passed.guard.tokenStamp },
          replicate: "later",
          loginRecord: loginRecordOf(details, nowMs),
        };
      }
      const challengeKey = newChallengeKey();
      const started = startChallenge(passed, challengeKey, { ...details, familiar: outcome.familiar, network }, nowMs, this.config);
      const text = started.step === undefined ? undefined : { account: started.next, step: started.step };
      const methods = publicMethods(started.next);
      return { next: started.next, outcome: { outcome: "challenge", challengeKey, methods, text } };
    });
    if (result.outcome !== "challenge" || !result.text) return result as LoginResult;
    return { ...result, text: await this.sends.text(result.text) };
  }

  /** The second step: a code for the pending login `challengeKey`. */
  async completeLogin(challengeKey: string, code: string, trustComputer: boolean, nowMs: number): Promise<CompletionResult> {
    const before = this.store.account;
    const challenge = before && liveChallenge(before, challengeKey, nowMs);
    if (!before || !challenge) {
      return this.store.transact((account) => ({ next: account && pruneChallenges(account, nowMs), outcome: { outcome: "not-found" } as const }));
    }
    const submitted = await this.secrets.submittedCode(before, code, nowMs);
    if (challenge.otp) submitted.otpHash = await oneTimeCodeHash(this.env.ENCRYPTION_KEY, before.user.id, code, challenge.otp.hash);
    const trustId = trustComputer ? randomToken(32) : undefined;
    const trustHash = trustId ? await sha256Hex(trustId) : undefined;
    return this.store.transact<CompletionResult>((account) => {
      if (!account || account.guard.generation !== before.guard.generation) return unchanged({ outcome: "not-found" });
      const { next, outcome } = completeChallenge(account, challengeKey, submitted, trustHash, nowMs, this.config);
      if (outcome.outcome === "invalid-code") return { next, outcome: { outcome: "invalid-code", nextCodeAt: outcome.nextCodeAt, locked: outcome.locked } };
      if (outcome.outcome !== "accepted") return { next, outcome };
      const { applicationId, noJWT, state } = challenge;
      const accepted = {
        outcome: "accepted",
        user: publicAccount(next!),
        tokenStamp: next!.guard.tokenStamp,
        applicationId,
        noJWT,
        trustId,
        recoveryCode: outcome.recoveryCode === true,
        state,
      } as const;
      // A used recovery code changes the count the record shows: the replica follows at once (a method's `lastUsed` follows later).
      const replicate = outcome.recoveryCode ? "now" : "later";
      return { next, outcome: accepted, replicate, loginRecord: loginRecordOf(challenge, nowMs) };
    });
  }

  /** Reserves a code to send for the pending login `challengeKey`: see Sends.forChallenge. */
  sendChallengeCode(challengeKey: string, methodId: string | undefined, otp: OneTimeCodeDraft, nowMs: number): Promise<Outcome<{ send: CodeToSend }>> {
    return this.sends.forChallenge(challengeKey, methodId, otp, nowMs);
  }

  /** Reserves a text for the user (legacy `POST /api/two-factor/send` with a user id or JWT): see Sends.forUser. */
  sendUserCode(caller: Caller, otp: OneTimeCodeDraft, nowMs: number): Promise<Outcome<{ send: CodeToSend }>> {
    return this.sends.forUser(caller, otp, nowMs);
  }

  /** Reserves the send of a code to enable or disable a method (1.26+ send): see Sends.oneTimeCode. */
  sendOneTimeCode(caller: Caller, otp: OneTimeCodeDraft, target: OneTimeCodeTarget, nowMs: number): Promise<Outcome<{ send: CodeToSend }>> {
    return this.sends.oneTimeCode(caller, otp, target, nowMs);
  }

  /** Gives back a reserved send that did not go out; `withdrawCode` when it surely never arrives (the code it replaced stands again). */
  async releaseSend(challengeKey: string | undefined, sent: SentText, withdrawCode: boolean): Promise<void> {
    await this.sends.release(challengeKey, sent, withdrawCode);
  }

  // ---- Access tokens ----

  /** Whether an access token carrying `tokenStamp` still speaks for this account: asked on every request with a token. */
  async acceptsToken(tokenStamp: string): Promise<boolean> {
    return accountFor(this.store.account, tokenStamp) !== null;
  }

  // ---- Two-factor enrolment ----

  /** Enables 2FA (legacy) once `code` proves the user holds `key`: see Enrolment.enable. */
  enable(caller: Caller, key: Uint8Array, code: string, delivery: TwoFactorDelivery, nowMs: number, smsCodes: SentCode[]): Promise<Outcome<object>> {
    return this.serialized(() => this.enrolment.enable(caller, key, code, delivery, nowMs, smsCodes));
  }

  /** Adds a method (FusionAuth 1.26+ enable) once `code` proves it: see Enrolment.addMethod. */
  addMethod(caller: Caller, method: MethodToAdd, code: string, recoveryHashes: string[], nowMs: number): Promise<Outcome<Added>> {
    return this.serialized(() => this.enrolment.addMethod(caller, method, code, recoveryHashes, nowMs));
  }

  /** Disables 2FA (legacy), or removes the method `methodId` (1.26+): see Enrolment.disable. */
  disable(caller: Caller, code: string, nowMs: number, methodId?: string): Promise<CodeChecked<Disabled>> {
    return this.serialized(() => this.enrolment.disable(caller, code, nowMs, methodId));
  }

  /** Names the method `methodId`. */
  renameMethod(caller: Caller, methodId: string, name: string, nowMs: number): Promise<Outcome<object>> {
    return this.store.transact<Outcome<object>>((current) => {
      const account = accountFor(current, caller.tokenStamp);
      if (!account) return refuse(notFound);
      const { next, outcome } = renameMethod(account, methodId, name, nowMs);
      return outcome.outcome === "renamed" ? { next, outcome: { ok: true }, replicate: "now" } : refuse(unknownMethod);
    });
  }

  /**
   * Opens a pending login for user step-up (FusionAuth Start), completed by `otp` or any second
   * factor of the user; `state` (JSON) is echoed by the completion.
   */
  start(details: ChallengeDetails, otp: OneTimeCodeDraft, state: string | undefined, nowMs: number): Promise<Outcome<Started>> {
    return this.store.transact<Outcome<Started>>((account) => {
      if (!account) return refuse(notFound);
      const challengeKey = newChallengeKey();
      const next = startedChallenge(account, challengeKey, details, otp.hash, state, nowMs, this.config);
      return { next, outcome: { ok: true, challengeKey, methods: publicMethods(account) } };
    });
  }

  // ---- The account (User and Import APIs) ----

  /** Creates the account from a complete record; fails when the id or a login id is taken. `recoveryCodes`: stored forms (import). */
  create(user: UserRecord, recoveryCodes: string[] = []): Promise<Outcome<{ user: PublicUser }>> {
    return this.serialized(async () => {
      if (this.store.account) return failed(userIdTaken(user.id));
      const claimed = await this.claims.claim(user.id, loginIdsOf(user), []);
      if (!claimed.ok) return claimed;
      const guard = newGuard(newTokenStamp());
      if (twoFactorEnabled(user)) Object.assign(guard, { generation: 1, recoveryCodes });
      const created = { version: 1, user, guard };
      await this.store.prepareAlarms();
      const result = await this.store.transact<Outcome<{ user: PublicUser }>>((account) => {
        if (account) return refuse(userIdTaken(user.id));
        return { next: created, outcome: { ok: true, user: publicAccount(created) }, replicate: "now" };
      });
      // No account holds the login ids a refused create claimed.
      if (!result.ok && !this.store.account) await this.claims.release(user.id, loginIdsOf(user));
      return result;
    });
  }

  /**
   * Changes the account by the User API's rules: `replace` (PUT) clears profile fields the input
   * leaves out; `password` is the new password's hash. Starts from the current record, so two
   * changes never undo each other. Answers the user after the change and before it (`original`), and
   * how many valid trusted devices the change revoked (a new password, a deactivation, 2FA off).
   */
  update(input: UserInput, replace: boolean, password: PasswordHash | undefined, nowMs: number): Promise<UpdateResult> {
    return this.serialized(async () => {
      const before = this.store.account;
      if (!before) return failed(notFound);
      const user: UserRecord = { ...before.user, lastUpdateInstant: nowMs };
      applyProfile(user, input, replace);
      if (password) Object.assign(user, { password, passwordLastUpdateInstant: nowMs });
      const checked = await capture(async () => {
        requireLoginId(user);
        checkDataSize(user);
        const enrolment = applyTwoFactor(user, before.user, input, () => newTotpSecret().secret);
        if (enrolment) user.twoFactor = { methods: await sealNewMethods(this.env.ENCRYPTION_KEY, user.id, [], [enrolment]) };
        const methods = applyMethods(before.user.twoFactor.methods, input, replace ? "replace" : "merge");
        if (methods && !sameMethods(methods, before.user.twoFactor.methods)) {
          user.twoFactor = { methods: await sealNewMethods(this.env.ENCRYPTION_KEY, user.id, methods.kept, methods.added) };
        }
      });
      if (!checked.ok) return checked;
      const held = loginIdsOf(before.user);
      const wanted = loginIdsOf(user);
      const claimed = await this.claims.claim(user.id, wanted, held);
      if (!claimed.ok) return claimed;
      // Logins may have moved the last login instant meanwhile; everything else is ours.
      const updated = await this.store.transact<UpdateResult>((account) => {
        if (!account) return refuse(notFound);
        const next = replaceUser(account, user, nowMs, newTokenStamp);
        const changed = { user: publicAccount(next), original: publicAccount(account), trustRevoked: revokedTrustCount(account, next, nowMs) };
        return { next, outcome: { ok: true, ...changed }, replicate: "now" };
      });
      if (updated.ok) await this.claims.release(user.id, held, wanted);
      else {
        // A refused change keeps the login ids held, as they were held.
        await this.claims.release(user.id, wanted, held);
        await this.claims.claim(user.id, held, wanted);
      }
      return updated;
    });
  }

  // ---- Recovery codes, trusted devices, login records ----

  /**
   * Replaces the user's recovery codes with `hashes` (their stored forms); 2FA must be enabled. A
   * `code` sent along must be accepted first, as a disable's; the user's own call (an access token)
   * must send one: a new set turns 2FA off as surely as a code does, so a token alone must not make one.
   */
  replaceRecoveryCodes(caller: Caller, hashes: string[], code: string | undefined, nowMs: number): Promise<CodeChecked<object>> {
    return this.serialized(async () => {
      const before = accountFor(this.store.account, caller.tokenStamp);
      if (!before) return failed(notFound);
      if (!twoFactorEnabled(before.user)) return failed(twoFactorNotEnabled);
      if (code === undefined && caller.tokenStamp !== undefined) return failed(codeRequired);
      const submitted = code === undefined ? null : await this.secrets.submittedCode(before, code, nowMs);
      return this.store.transact<CodeChecked<object>>((account) => {
        if (!account) return refuse(notFound);
        const { next, outcome } = replaceRecoveryCodes(account, hashes, submitted, nowMs, this.config);
        if (outcome.outcome === "replaced") return { next, outcome: { ok: true }, replicate: "now" };
        if (outcome.outcome === "not-enabled") return refuse(twoFactorNotEnabled);
        return { next, outcome: codeRefused(outcome) };
      });
    });
  }

  /** Whether a login with trust id `trustId` (or none) would skip the second factor, and the device it names. */
  async trustStatus(trustId: string | undefined, nowMs: number): Promise<Outcome<{ trusted: boolean; device: TrustedDeviceView | null }>> {
    const trustHash = trustId === undefined ? undefined : await sha256Hex(trustId);
    const account = this.store.account;
    if (!account) return failed(notFound);
    return { ok: true, ...trustStatus(account, trustHash, nowMs) };
  }

  /** The user's trusted devices (never their trust ids). */
  async listTrust(caller: Caller, nowMs: number): Promise<Outcome<{ devices: TrustedDeviceView[] }>> {
    const account = accountFor(this.store.account, caller.tokenStamp);
    if (!account) return failed(notFound);
    return { ok: true, devices: trustedDevices(account.guard, nowMs) };
  }

  /** Revokes one trusted device by its `id`, or all of them. */
  revokeTrust(caller: Caller, deviceId: string | undefined, nowMs: number): Promise<Outcome<{ revoked: number }>> {
    return this.store.transact<Outcome<{ revoked: number }>>((current) => {
      const account = accountFor(current, caller.tokenStamp);
      if (!account) return refuse(notFound);
      const { next, outcome } = revokeTrust(account, deviceId, nowMs);
      return outcome.outcome === "not-found" ? refuse(notFound) : { next, outcome: { ok: true, revoked: outcome.count } };
    });
  }

  /** The user's login records matching `query`, newest first. */
  async searchLogins(query: LoginRecordQuery, nowMs: number): Promise<Outcome<{ logins: LoginRecord[]; total: number }>> {
    if (!this.store.account) return failed(notFound);
    return { ok: true, ...this.store.searchLogins(query, nowMs) };
  }

  /** The whole record with its sealed secrets and stored recovery codes, and the user as the API shows it (the export). */
  async exportRecord(): Promise<Outcome<{ record: UserRecord; recoveryCodes: string[]; user: PublicUser }>> {
    const account = this.store.account;
    if (!account) return failed(notFound);
    return { ok: true, record: account.user, recoveryCodes: account.guard.recoveryCodes, user: publicAccount(account) };
  }

  /** The user as the API shows it, replicated again (for a replica written by an earlier version). */
  refreshReplica(): Promise<Outcome<{ user: PublicUser }>> {
    return this.store.transact<Outcome<{ user: PublicUser }>>((account) =>
      account
        ? { next: { ...draft(account), user: { ...account.user } }, outcome: { ok: true, user: publicAccount(account) }, replicate: "now" }
        : refuse(notFound),
    );
  }

  /** Re-seals the account's secrets under ENCRYPTION_KEY's current key (the key-rotation sweep); null: no account. */
  rotateKeys(): Promise<UserKeyUsage | null> {
    return this.keys.rotate();
  }

  /** Lifts every password and code lock (the admin unlock). */
  unlock(): Promise<Outcome<object>> {
    return this.store.transact<Outcome<object>>((account) => (account ? { next: liftLocks(account), outcome: { ok: true } } : refuse(notFound)));
  }

  /** Deletes the account in one step: its login ids are freed, its storage and replica removed. Answers the user deleted. */
  remove(): Promise<Outcome<{ user: PublicUser }>> {
    return this.serialized(async () => {
      const account = this.store.account;
      if (!account) return failed(notFound);
      await this.claims.release(account.user.id, loginIdsOf(account.user));
      this.secrets.clear();
      await this.store.erase();
      return { ok: true, user: publicAccount(account) };
    });
  }

  /** Expires pending logins and decoy counters, and writes a replica that is due or failed before. */
  async alarm(): Promise<void> {
    const nowMs = Date.now();
    const decoysDue = this.decoys.prune(nowMs);
    await this.store.alarm(nowMs, () => decoysDue);
  }

  // ---- Internals ----

  /**
   * Runs record changes that await between their read and their write one at a time, each starting
   * from what the previous one left. Everything else is one `transact` and needs no queue: the login
   * steps and texts must not wait behind a slow change.
   */
  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const result = this.queue.then(step);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** An unknown login id's wrong password, counted and locked exactly like a user's. */
  private async decoyLogin(loginId: string, nowMs: number): Promise<LoginResult> {
    const counted = this.decoys.fail(await loginIdName(loginId), nowMs);
    if ("prevention" in counted) return { outcome: "prevented", prevention: counted.prevention };
    await this.store.schedule(counted.expiresAt);
    return { outcome: "wrong-password" };
  }
}

/**
 * The object's RPC methods as callers see them, derived from the class. RPC hands results over by
 * structured clone; workers-types' stub type would intersect each union member with `Disposable`
 * and drop those it cannot prove serializable, so the stub is typed with the methods' own results.
 */
export type UserGuardStub = {
  [K in Exclude<keyof UserGuard, keyof DurableObject>]: UserGuard[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

// The one cast: the runtime stub answers each method with its result, as UserGuardStub says.
const stub = (env: Env, name: string) => env.USER_GUARD.get(env.USER_GUARD.idFromName(name)) as UserGuardStub;

/** The object of user `userId`. */
export const userGuard = (env: Env, userId: string) => stub(env, userId);

/**
 * How many objects stand in for unknown login ids. A fixed set, so an unknown login id's first
 * wrong password finds an object that exists and has written before, as a user's does (a new object's
 * first write and alarm are slower), and no input creates objects without end.
 */
export const DECOY_SHARDS = 256;

/** Decoy shard `index` (0 to DECOY_SHARDS - 1). */
export const decoyShard = (env: Env, index: number) => stub(env, `decoys:${index}`);

/**
 * The object that stands in for the unknown login id `loginIdName`: the shard a keyed hash picks,
 * so nobody can tell which login ids share a shard, or crowd one with login ids that do. It does a
 * user's work with a user's lockout, its counter kept under the login id (see ./user/decoys.ts).
 */
export const decoyGuard = async (env: Env, loginIdName: string) => decoyShard(env, await decoyShardOf(env.ENCRYPTION_KEY, loginIdName, DECOY_SHARDS));
