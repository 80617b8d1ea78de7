/**
 * Writes the latest state of something to an outside store (KV) from a Durable Object, where two
 * requests may interleave at any await. Runs never overlap, and every `request()` settles after a
 * run that started after it, so the store ends with the newest state and an older write never lands
 * after a newer one.
 */
export class LatestWriter {
  private running: Promise<void> | null = null;
  private pending = false;

  constructor(private readonly write: () => Promise<void>) {}

  request(): Promise<void> {
    this.pending = true;
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        this.pending = false;
        await this.write();
      }
    } finally {
      // In the same turn as the last check of `pending`: no request can slip in between.
      this.running = null;
    }
  }
}
