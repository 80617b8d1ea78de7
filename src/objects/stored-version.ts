// The version of a Durable Object class's storage layout, kept in each object under one key. An
// object loads by running the class's upgrade steps above its stored version, in order, and writing
// the new version with them in one transaction, all in its constructor: the storage calls are
// synchronous, so no request runs before the object's state is in today's shape (docs/design.md,
// "Stored state versions").

/** The key every object keeps its layout's version under (an integer). */
export const VERSION_KEY = "schema";

/** What an object stored before versions were stored counts as; a class with no steps is at it. */
const UNVERSIONED = 1;

/** One change of a class's layout: `run` turns state stored at an earlier version into version `to`'s. */
export type UpgradeStep = { to: number; why: string; run: (storage: SyncKvStorage) => void };

export class StoredVersion {
  /** The version this code writes: its last step's. */
  readonly current: number;
  /** Whether storage holds the current version (a new object writes it with its first value). */
  private stamped: boolean;

  /**
   * Brings the object's storage to the current version; `steps` in ascending `to`. A version newer
   * than the code knows was written by a later deploy: this code would misread it and could overwrite
   * what it does not understand, so after a rollback such an object refuses every request (the
   * constructor throws) and its storage stays as that deploy left it.
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    className: string,
    steps: readonly UpgradeStep[],
  ) {
    this.current = steps.at(-1)?.to ?? UNVERSIONED;
    const stored = storage.kv.get<number>(VERSION_KEY);
    if (stored !== undefined && stored > this.current) {
      throw new Error(`${className}: stored state is at version ${stored}, newer than this code's ${this.current}; refusing to run on it`);
    }
    this.stamped = stored === this.current;
    const empty = stored === undefined && [...storage.kv.list({ limit: 1 })].length === 0;
    if (this.stamped || empty) return;
    // One transaction: a step that throws leaves the storage as it was, to be upgraded by the next load.
    storage.transactionSync(() => {
      for (const step of steps) if (step.to > (stored ?? UNVERSIONED)) step.run(storage.kv);
      storage.kv.put(VERSION_KEY, this.current);
    });
    this.stamped = true;
  }

  /** Called before every write: a new object writes the current version with its first value. */
  stamp(): void {
    if (this.stamped) return;
    this.storage.kv.put(VERSION_KEY, this.current);
    this.stamped = true;
  }

  /** The object's storage is emptied (the version with it): it is a new object again. */
  forget(): void {
    this.storage.kv.delete(VERSION_KEY);
    this.stamped = false;
  }
}
