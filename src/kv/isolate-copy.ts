/**
 * A value read from KV that an isolate keeps for `ttlMs` instead of reading it again for every
 * request: a change made through another isolate reaches this one within that time (plus KV's own
 * propagation). A clock that went backwards (a negative age) makes the copy stale.
 */
export class IsolateCopy<T> {
  private copy: { at: number; value: T } | null = null;

  constructor(private readonly ttlMs: number) {}

  /** The value kept, when it was kept under `ttlMs` ago. */
  fresh(): T | undefined {
    const age = this.copy ? Date.now() - this.copy.at : Infinity;
    return age >= 0 && age < this.ttlMs ? this.copy!.value : undefined;
  }

  /** Keeps `value` (just read or written) from now on, and answers it. */
  keep(value: T): T {
    this.copy = { at: Date.now(), value };
    return value;
  }
}
