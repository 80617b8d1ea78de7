// The user's account in its object's storage, with the KV replica and the alarm that follow it.
// Every change is written by `transact`: read → decide → write in one synchronous turn, so no other
// request for this user can act between the state a decision reads and the write of its result.
import { publicAccount, upgradeGuard, type Account, type Decision, type Guard } from "../../domain/account";
import { nextExpiry, pruneChallenges } from "../../domain/challenges";
import type { Config } from "../../domain/config";
import type { RefusedCode } from "../../domain/enrolment";
import type { Problem } from "../../domain/failures";
import { codeProblem, tooLargeToStore } from "../../domain/problems";
import { upgradeUser, type UserRecord } from "../../domain/user";
import { userReplicas } from "../../kv/users";
import { LatestWriter } from "../latest-writer";
import type { StoredVersion, UpgradeStep } from "../stored-version";
import { LoginRecords, type LoginRecord, type LoginRecordQuery } from "./login-records";

/**
 * How the guard state is stored: beside the record, with the account's version and when the KV
 * replica must next follow a change (the object is evicted long before the login replica delay, and
 * the alarm that writes the replica then runs in a new one).
 */
type StoredGuard = { version: number; guard: Guard; replicaDueAt?: number };

/** Rewrites the value stored under `key`, if any, with `upgrade`. */
function rewrite<T>(storage: SyncKvStorage, key: string, upgrade: (stored: T) => T): void {
  const stored = storage.get<T>(key);
  if (stored !== undefined) storage.put(key, upgrade(stored));
}

/**
 * The upgrade steps of the user's object (see ../stored-version.ts), oldest first; a new layout adds
 * a step at the end. The first two are the shapes written before versions were stored.
 */
export const accountSteps = (config: Config): UpgradeStep[] => [
  {
    to: 2,
    why: "a record stored before methods keeps its one enrolment in the legacy twoFactorEnabled/twoFactorSecret/twoFactorDelivery fields",
    run: (storage) => rewrite(storage, "user", upgradeUser),
  },
  {
    to: 3,
    why: "a guard state stored before trusted devices, recovery codes and token stamps: trust ids as bare expiries, no recoveryCodes or tokenStamp",
    run: (storage) => rewrite<StoredGuard>(storage, "guard", (stored) => ({ ...stored, guard: upgradeGuard(stored.guard, config) })),
  },
];

/**
 * How the KV replica follows a write: `now` waits for it (the User API's read-your-writes), `later`
 * follows within `config.loginReplicaDelaySeconds` (a login's last login instant), `none`: the public record did not change.
 */
export type Replicate = "now" | "later" | "none";

/** A decision as the store applies it: `next` (unless null) with `loginRecord` if any, then the replica as `replicate` says (default `none`). */
export type Change<O> = Decision<O> & { replicate?: Replicate; loginRecord?: LoginRecord };

/** A decision that changes nothing. */
export const unchanged = <O>(outcome: O): Change<O> => ({ next: null, outcome });

/** A failed outcome: `problem`. */
export const failed = (problem: Problem) => ({ ok: false, problem }) as const;

/** A decision that changes nothing and fails with `problem`. */
export const refuse = (problem: Problem) => unchanged(failed(problem));

/** A change a code was refused for: its problem, and the lock the code led to, if any. */
export const codeRefused = (verdict: RefusedCode) =>
  verdict.outcome === "invalid-code" && verdict.locked
    ? { ok: false as const, problem: codeProblem(verdict), locked: verdict.locked }
    : failed(codeProblem(verdict));

/** A change the store did not write because a value would be too large to store; nothing changed. */
export type Refused = { ok: false; outcome: "refused"; problem: Problem };

/**
 * SQLite-backed Durable Objects keep at most 2 MB per key and value
 * (https://developers.cloudflare.com/durable-objects/platform/limits/), and a write above that fails
 * with SQLITE_TOOBIG. The request limits keep an account far below it; the store refuses anything
 * past half of it before writing, so no input can leave an object unable to save.
 */
const MAX_STORED_BYTES = 1024 * 1024;

/** At most what a value takes stored: its JSON, two bytes per UTF-16 unit (how the runtime stores a string that needs them). */
const storedSize = (value: unknown) => JSON.stringify(value).length * 2;

export class AccountStore {
  private current: Account | null;
  /** Whose replica this store writes (kept after a delete, to remove it). */
  private userId: string | null;
  private replicaDueAt: number | null;
  private alarmAt: number | null = null;
  private readonly replica = new LatestWriter(() => this.writeReplica());
  private readonly logins: LoginRecords;
  /** KV takes one write per second per key, and a 2FA login's replica write rides on the alarm its pending login set. */
  private readonly loginReplicaDelayMs: number;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly kv: KVNamespace,
    config: Config,
    /** The object's layout version, already brought to today's by accountSteps. */
    private readonly version: StoredVersion,
  ) {
    const user = storage.kv.get<UserRecord>("user");
    const guard = storage.kv.get<StoredGuard>("guard");
    this.current = user && guard ? { version: guard.version, user, guard: guard.guard } : null;
    this.userId = this.current?.user.id ?? null;
    this.replicaDueAt = guard?.replicaDueAt ?? null;
    this.logins = new LoginRecords(storage, config.loginRecords);
    this.loginReplicaDelayMs = config.loginReplicaDelaySeconds * 1000;
  }

  /** The account as it stands: what slow inputs are computed from. Decisions read theirs in `transact`. */
  get account(): Account | null {
    return this.current;
  }

  /**
   * Runs `decide` on the current account (null when there is none) and writes its `next` in the
   * same turn; then waits for the replica (`now`) or the alarm. `decide` cannot await: its type
   * refuses a Promise. A change with a value too large to store is refused whole.
   */
  async transact<O>(decide: (account: Account | null) => Change<O>): Promise<O | Refused> {
    const { next, outcome, replicate = "none", loginRecord } = decide(this.current);
    if (!next) return outcome;
    const values = [next.user !== this.current?.user && next.user, next.guard, loginRecord];
    if (values.some((value) => value && storedSize(value) > MAX_STORED_BYTES)) {
      console.warn(JSON.stringify({ event: "store.too-large", userId: next.user.id }));
      return { ok: false, outcome: "refused", problem: tooLargeToStore };
    }
    await this.commit(loginRecord ? this.recordLogin(next, loginRecord) : next, replicate);
    return outcome;
  }

  /** The user's login records matching `query`, newest first. */
  searchLogins(query: LoginRecordQuery, nowMs: number): { logins: LoginRecord[]; total: number } {
    return this.logins.search(query, nowMs);
  }

  /**
   * Makes the runtime's alarm table, which an object's first `setAlarm` creates: that schema change
   * makes SQLite compile every later statement again, so the account's creation pays it, not a login.
   */
  async prepareAlarms(): Promise<void> {
    await this.storage.setAlarm(Date.now() + this.loginReplicaDelayMs);
    await this.storage.deleteAlarm();
  }

  /** Deletes the account and all its storage, then its replica. */
  async erase(): Promise<void> {
    this.current = null;
    await this.storage.deleteAlarm();
    this.alarmAt = null;
    await this.storage.deleteAll();
    this.version.forget();
    if (this.userId) await this.replicateNow(this.userId);
  }

  /**
   * The alarm's work for the account: drops expired pending logins, writes a replica that is due or
   * failed before, and sets the alarm for the next thing due (`alsoDue`: other times, e.g. decoy counters).
   */
  async alarm(nowMs: number, alsoDue: () => number[]): Promise<void> {
    this.alarmAt = null;
    await this.transact((account) => ({ next: account && pruneChallenges(account, nowMs), outcome: undefined }));
    if (this.replicaDueAt !== null && this.userId) await this.replicateNow(this.userId);
    const due = [...this.dueTimes(), ...alsoDue()];
    if (due.length) await this.schedule(Math.min(...due));
    else await this.storage.deleteAlarm();
  }

  /** Keeps the alarm at or before `at`. */
  async schedule(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > Date.now()) return;
    this.alarmAt = at;
    await this.storage.setAlarm(at);
  }

  /** Saves `next` (one write: the record only when it changed, since it carries up to 64 KiB of `data`). */
  private commit(next: Account, replicate: Replicate): Promise<void> {
    this.version.stamp();
    if (next.user !== this.current?.user) this.storage.kv.put("user", next.user);
    this.current = next;
    this.userId = next.user.id;
    if (replicate === "now") this.replicaDueAt = null;
    if (replicate === "later") this.replicaDueAt ??= Date.now() + this.loginReplicaDelayMs;
    this.saveGuard();
    if (replicate === "now") return this.replicateNow(next.user.id);
    return this.scheduleNext();
  }

  /** `next` with the login records' new index, after writing `record`. */
  private recordLogin(next: Account, record: LoginRecord): Account {
    return { ...next, guard: { ...next.guard, loginRecords: this.logins.add(record, next.guard.loginRecords) } };
  }

  private saveGuard(): void {
    if (!this.current) return;
    const { version, guard } = this.current;
    this.storage.kv.put("guard", { version, guard, ...(this.replicaDueAt !== null && { replicaDueAt: this.replicaDueAt }) } satisfies StoredGuard);
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
    const account = this.current;
    const replicas = userReplicas(this.kv);
    if (account) await replicas.put({ version: account.version, user: publicAccount(account) });
    else if (this.userId) await replicas.delete(this.userId);
  }

  /** The account's due times: a pending login's expiry, a replica write. */
  private dueTimes(): number[] {
    return [this.current && nextExpiry(this.current), this.replicaDueAt].filter((at): at is number => typeof at === "number");
  }

  private scheduleNext(): Promise<void> {
    const due = this.dueTimes();
    return due.length ? this.schedule(Math.min(...due)) : Promise.resolve();
  }
}
