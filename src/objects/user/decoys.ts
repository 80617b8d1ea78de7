// Failure counters of unknown login ids, kept by the objects that stand in for them (decoyGuard):
// a wrong password for a login id nobody holds counts and locks exactly like a user's, and the
// alarm deletes each counter once it has expired.
import type { PasswordFailures } from "../../domain/account";
import type { Config } from "../../domain/config";
import type { LoginPrevention } from "../../domain/failures";
import { failuresExpiry, passwordPrevention, recordPasswordFailure } from "../../domain/lockout";

const PREFIX = "decoy:";

export class Decoys {
  constructor(
    private readonly storage: SyncKvStorage,
    private readonly config: Config,
  ) {}

  /** Counts a wrong password for the unknown login id `name`: the lock in force, or when the counter expires. */
  fail(name: string, nowMs: number): { prevention: LoginPrevention } | { expiresAt: number } {
    const key = `${PREFIX}${name}`;
    const decoy = this.storage.get<PasswordFailures>(key) ?? { failures: [], lockedUntil: 0 };
    const prevention = passwordPrevention(decoy, nowMs);
    if (prevention) return { prevention };
    const next = recordPasswordFailure(decoy, nowMs, this.config);
    this.storage.put(key, next);
    return { expiresAt: failuresExpiry(next, this.config) };
  }

  /** Deletes the counters that have expired. */
  prune(nowMs: number): void {
    for (const [key, decoy] of this.storage.list<PasswordFailures>({ prefix: PREFIX })) {
      if (failuresExpiry(decoy, this.config) <= nowMs) this.storage.delete(key);
    }
  }

  /** When each counter expires. */
  dueTimes(): number[] {
    return Array.from(this.storage.list<PasswordFailures>({ prefix: PREFIX }), ([, decoy]) => failuresExpiry(decoy, this.config));
  }
}
