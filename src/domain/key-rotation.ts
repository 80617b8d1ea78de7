// Key rotation (see "Rotating ENCRYPTION_KEY" in docs/operations.md): every value sealed under
// ENCRYPTION_KEY names the key that sealed it, so what still needs an old key can be found and counted.
// Here: reading that name, counting values per key, and the sweep's progress as a state with transitions.

/** The format of a sealed value: `v1.<keyId>.<iv>.<ciphertext>` (src/crypto/keyring.ts). */
export const SEALED_FORMAT = "v1";

/** The id of the key that sealed `value`, or null when it is not a sealed value. */
export function sealedKeyId(value: string): string | null {
  const [format, keyId] = value.split(".", 2);
  return format === SEALED_FORMAT && keyId ? keyId : null;
}

/** How many values (or records) use each key id. */
export type KeyCounts = Record<string, number>;

/** Each key id among `values`, counted once per value (plain values not counted). */
export function countKeys(values: string[]): KeyCounts {
  const counts: KeyCounts = {};
  for (const value of values) {
    const keyId = sealedKeyId(value);
    if (keyId) counts[keyId] = (counts[keyId] ?? 0) + 1;
  }
  return counts;
}

/** `a` and `b` added key by key. */
export function addCounts(a: KeyCounts, b: KeyCounts): KeyCounts {
  const sum = { ...a };
  for (const [keyId, count] of Object.entries(b)) sum[keyId] = (sum[keyId] ?? 0) + count;
  return sum;
}

/** How many of `records` (each given by its values' counts) use each key id: a record counts once per key. */
export const recordsPerKey = (records: KeyCounts[]): KeyCounts =>
  records.reduce((sum, counts) => addCounts(sum, Object.fromEntries(Object.keys(counts).map((keyId) => [keyId, 1]))), {});

/** `counts` without key `current`'s, and without zeros: what still needs an old key. */
export function oldKeys(counts: KeyCounts, current: string): KeyCounts {
  return Object.fromEntries(Object.entries(counts).filter(([keyId, count]) => keyId !== current && count > 0));
}

/**
 * What one user's object holds after it re-sealed what it could: each key's sealed values, and how
 * many recovery codes are kept as HMACs made before codes were sealed (those cannot be re-sealed;
 * they need the key that was first when they were made, until they are used up or replaced).
 */
export type UserKeyUsage = { keys: KeyCounts; hmacRecoveryCodes: number };

/**
 * A sweep over every user, one page of users per queue message. `keyId` is the key it re-seals
 * under; `users` counts, per old key, the users swept that still hold a value sealed under it
 * (one whose key is missing from ENCRYPTION_KEY cannot be opened, so it stays).
 */
export type Sweep = {
  id: string;
  keyId: string;
  startedAt: number;
  updatedAt: number;
  /** Where the next page starts; null when the sweep has finished. */
  cursor: string | null;
  finishedAt?: number;
  swept: number;
  users: KeyCounts;
  hmacRecoveryCodeUsers: number;
};

export const newSweep = (id: string, keyId: string, nowMs: number): Sweep => ({
  id,
  keyId,
  startedAt: nowMs,
  updatedAt: nowMs,
  cursor: "",
  swept: 0,
  users: {},
  hmacRecoveryCodeUsers: 0,
});

/** `sweep` after a page of users (`usages`, null for a user gone meanwhile), with `cursor` the next page's (null: that was the last). */
export function afterPage(sweep: Sweep, usages: (UserKeyUsage | null)[], cursor: string | null, nowMs: number): Sweep {
  const held = usages.filter((usage): usage is UserKeyUsage => usage !== null);
  const users = addCounts(sweep.users, recordsPerKey(held.map((usage) => oldKeys(usage.keys, sweep.keyId))));
  return {
    ...sweep,
    updatedAt: nowMs,
    cursor,
    ...(cursor === null && { finishedAt: nowMs }),
    swept: sweep.swept + held.length,
    users,
    hmacRecoveryCodeUsers: sweep.hmacRecoveryCodeUsers + held.filter((usage) => usage.hmacRecoveryCodes > 0).length,
  };
}

/** A sweep that stopped moving for this long (a message dropped after its retries) is resumed from its cursor. */
export const STALLED_SWEEP_MS = 30 * 60_000;

/** What the scheduled check does about the stored sweep, for current key `keyId`: start one, resume it, or nothing. */
export function sweepToRun(sweep: Sweep | null, keyId: string, nowMs: number): "start" | "resume" | "none" {
  if (!sweep || sweep.keyId !== keyId) return "start";
  if (sweep.cursor !== null && nowMs - sweep.updatedAt >= STALLED_SWEEP_MS) return "resume";
  return "none";
}
