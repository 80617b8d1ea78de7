// Failure counters of unknown login ids, kept by the decoy shards that stand in for them (decoyGuard
// in ../user-guard.ts), one counter per login id: a wrong password for a login id nobody holds counts
// and locks exactly like a user's, and the alarm deletes the counters that have expired. An expired
// counter not yet deleted counts as new (recordPasswordFailure drops old failures).
import type { PasswordFailures } from "../../domain/account";
import type { Config } from "../../domain/config";
import type { LoginPrevention } from "../../domain/failures";
import { failuresExpiry, passwordPrevention, recordPasswordFailure } from "../../domain/lockout";
import type { StoredVersion } from "../stored-version";

const PREFIX = "decoy:";
/** At most one prune a minute per object. */
const PRUNE_SPACING_MS = 60_000;

export class Decoys {
  constructor(
    private readonly storage: SyncKvStorage,
    private readonly config: Config,
    private readonly version: StoredVersion,
  ) {}

  /** Counts a wrong password for the unknown login id `name`: the lock in force, or when the counter expires. */
  fail(name: string, nowMs: number): { prevention: LoginPrevention } | { expiresAt: number } {
    const key = `${PREFIX}${name}`;
    const decoy = this.storage.get<PasswordFailures>(key) ?? { failures: [], lockedUntil: 0 };
    const prevention = passwordPrevention(decoy, nowMs);
    if (prevention) return { prevention };
    const next = recordPasswordFailure(decoy, nowMs, this.config);
    this.version.stamp();
    this.storage.put(key, next);
    return { expiresAt: failuresExpiry(next, this.config) };
  }

  /**
   * Deletes the counters that have expired; answers when to prune next (none when none are left):
   * when the next one expires, but not within PRUNE_SPACING_MS, since each prune reads them all.
   */
  prune(nowMs: number): number[] {
    let next = Infinity;
    for (const [key, decoy] of this.storage.list<PasswordFailures>({ prefix: PREFIX })) {
      const expiry = failuresExpiry(decoy, this.config);
      if (expiry <= nowMs) this.storage.delete(key);
      else next = Math.min(next, expiry);
    }
    return next === Infinity ? [] : [Math.max(next, nowMs + PRUNE_SPACING_MS)];
  }
}
