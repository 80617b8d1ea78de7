// A user's login records (FusionAuth's Login Record API shape,
// https://fusionauth.io/docs/apis/login#search-login-records), kept in the user's object's own
// storage: one entry per successful login, at most `maxPerUser` entries and none older than
// `retentionDays`, both enforced as each login is recorded.
//
// They are entries of the object's key-value storage (`ctx.storage.kv`), not rows of a SQL table:
// each object is its own SQLite database, so a SQL statement is compiled again by every object that
// runs it, while the key-value calls use statements the runtime has already prepared. Which entries
// exist is part of the guard state, so a login writes its record and the guard state, and nothing else.
import type { LoginRecordIndex } from "../../domain/account";
import type { Config } from "../../domain/config";

export type LoginRecord = { instant: number; applicationId?: string; ipAddress?: string; loginId?: string; metaData?: string };

/** The record of a login that passed at `instant`, from the details it came with. */
export const loginRecordOf = ({ applicationId, ipAddress, metaData, loginId }: Omit<LoginRecord, "instant">, instant: number): LoginRecord => ({
  instant,
  applicationId,
  ipAddress,
  metaData,
  loginId,
});

export type LoginRecordQuery = { applicationId?: string; start?: number; end?: number; startRow: number; numberOfResults: number };

const DAY_MS = 86_400_000;

const PREFIX = "login-record:";
/** Zero-padded, so that keys list in the order the logins were recorded. */
const keyOf = (sequence: number) => `${PREFIX}${String(sequence).padStart(12, "0")}`;

export class LoginRecords {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly limits: Config["loginRecords"],
  ) {}

  /**
   * Records a login after those of `held`, drops what falls outside the limits, and answers the
   * index to save with the guard state in the same write (the caller's synchronous turn).
   */
  add(record: LoginRecord, held: LoginRecordIndex = { first: 0, next: 0 }): LoginRecordIndex {
    const index = { ...held };
    if (index.first === index.next) index.oldest = record.instant;
    this.storage.kv.put(keyOf(index.next++), record);
    const cutoff = record.instant - this.limits.retentionDays * DAY_MS;
    while (index.next - index.first > this.limits.maxPerUser || (index.oldest ?? cutoff) < cutoff) {
      this.storage.kv.delete(keyOf(index.first++));
      index.oldest = this.storage.kv.get<LoginRecord>(keyOf(index.first))?.instant;
    }
    return index;
  }

  /** The records matching `query`, newest first, and how many match in all. */
  search(query: LoginRecordQuery, nowMs: number): { logins: LoginRecord[]; total: number } {
    const recorded = Array.from(this.storage.kv.list<LoginRecord>({ prefix: PREFIX }), ([, record]) => record);
    const from = Math.max(query.start ?? 0, nowMs - this.limits.retentionDays * DAY_MS);
    const to = query.end ?? Number.MAX_SAFE_INTEGER;
    const matching = recorded
      .filter((record) => record.instant >= from && record.instant <= to && (!query.applicationId || record.applicationId === query.applicationId))
      // Newest first; of two in the same millisecond, the one recorded later (sort is stable).
      .reverse()
      .sort((a, b) => b.instant - a.instant);
    return { logins: matching.slice(query.startRow, query.startRow + query.numberOfResults), total: matching.length };
  }
}
