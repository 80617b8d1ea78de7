// A user's login records (FusionAuth's Login Record API shape,
// https://fusionauth.io/docs/apis/login#search-login-records), kept in the user's object's own
// SQLite storage: one row per successful login, at most `maxPerUser` rows and none older than
// `retentionDays`, both enforced as each login is recorded.
import type { Config } from "../domain/config";

export type LoginRecord = { instant: number; applicationId?: string; ipAddress?: string; loginId?: string; metaData?: string };

export type LoginRecordQuery = { applicationId?: string; start?: number; end?: number; startRow: number; numberOfResults: number };

const DAY_MS = 86_400_000;

type Row = { instant: number; application_id: string | null; ip_address: string | null; login_id: string | null; meta_data: string | null };

const CREATE_TABLE = "CREATE TABLE IF NOT EXISTS login_records (instant INTEGER NOT NULL, application_id TEXT, ip_address TEXT, login_id TEXT, meta_data TEXT)";

export class LoginRecords {
  constructor(
    private readonly sql: SqlStorage,
    private readonly limits: Config["loginRecords"],
  ) {}

  /** Made with the account, in the same write, so that a login only inserts (IF NOT EXISTS: a create that failed after it may be retried). */
  createTable(): void {
    this.sql.exec(CREATE_TABLE);
  }

  /** Records a login and drops what falls outside the limits; runs inside the caller's write. */
  add(record: LoginRecord): void {
    this.unlessNoTable(
      () => this.insert(record),
      () => {
        this.createTable();
        this.insert(record);
      },
    );
  }

  private insert(record: LoginRecord): void {
    this.sql.exec(
      "INSERT INTO login_records (instant, application_id, ip_address, login_id, meta_data) VALUES (?, ?, ?, ?, ?)",
      record.instant,
      record.applicationId ?? null,
      record.ipAddress ?? null,
      record.loginId ?? null,
      record.metaData ?? null,
    );
    this.sql.exec(
      "DELETE FROM login_records WHERE instant < ? OR rowid <= (SELECT rowid FROM login_records ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
      record.instant - this.limits.retentionDays * DAY_MS,
      this.limits.maxPerUser,
    );
  }

  /** The records matching `query`, newest first, and how many match in all. */
  search(query: LoginRecordQuery, nowMs: number): { logins: LoginRecord[]; total: number } {
    return this.unlessNoTable(
      () => this.select(query, nowMs),
      () => ({ logins: [], total: 0 }),
    );
  }

  private select(query: LoginRecordQuery, nowMs: number): { logins: LoginRecord[]; total: number } {
    const conditions = ["instant >= ?", "instant <= ?"];
    const values: (string | number)[] = [Math.max(query.start ?? 0, nowMs - this.limits.retentionDays * DAY_MS), query.end ?? Number.MAX_SAFE_INTEGER];
    if (query.applicationId) {
      conditions.push("application_id = ?");
      values.push(query.applicationId);
    }
    const where = conditions.join(" AND ");
    const total = this.sql.exec<{ total: number }>(`SELECT count(*) AS total FROM login_records WHERE ${where}`, ...values).one().total;
    const rows = this.sql
      .exec<Row>(
        `SELECT * FROM login_records WHERE ${where} ORDER BY instant DESC, rowid DESC LIMIT ? OFFSET ?`,
        ...values,
        query.numberOfResults,
        query.startRow,
      )
      .toArray();
    const logins = rows.map((row) => ({
      instant: row.instant,
      applicationId: row.application_id ?? undefined,
      ipAddress: row.ip_address ?? undefined,
      loginId: row.login_id ?? undefined,
      metaData: row.meta_data ?? undefined,
    }));
    return { logins, total };
  }

  /**
   * `use`'s result, or `noTable`'s when the table does not exist (a user created before the table
   * was made with the account, who has not logged in since). Not CREATE TABLE IF NOT EXISTS each
   * time the object starts: that statement cost more than the insert on every login that reopened
   * the object.
   */
  private unlessNoTable<T>(use: () => T, noTable: () => T): T {
    try {
      return use();
    } catch (error) {
      if (!(error instanceof Error && error.message.includes("no such table"))) throw error;
      return noTable();
    }
  }
}
