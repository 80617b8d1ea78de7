// The claim point that keeps login ids (emails and usernames, one namespace) unique under
// concurrent creates: KV has no put-if-absent, but one object per login id is single-threaded, so
// the first claim wins. The object is also the only writer of that login id's KV index entry. A
// login id's confusable skeleton is claimed too (src/objects/user/claims.ts); such a claim is not
// indexed: logging in with the lookalike spelling must not find the user.
import { DurableObject } from "cloudflare:workers";
import { loginIndex } from "../kv/users";
import { LatestWriter } from "./latest-writer";
import { StoredVersion } from "./stored-version";

export class IdentifierClaim extends DurableObject<Env> {
  private readonly index = new LatestWriter(() => this.writeIndex());
  /** The layout is the one claims had before versions were stored: no steps yet. */
  private readonly version = new StoredVersion(this.ctx.storage, "IdentifierClaim", []);

  /**
   * Claims the login id for `userId` if it is free or already theirs, `indexed` or not; returns the
   * owner after the call.
   */
  async claim(name: string, userId: string, indexed = true): Promise<string> {
    const { kv } = this.ctx.storage;
    const owner = kv.get<string>("owner");
    if (owner && owner !== userId) return owner;
    if (owner && indexed === !kv.get("unindexed")) return owner;
    this.version.stamp();
    kv.put("owner", userId);
    kv.put("name", name);
    // Stored only when set: claims made before skeletons existed are all indexed.
    if (indexed) kv.delete("unindexed");
    else kv.put("unindexed", true);
    await this.syncIndex();
    return userId;
  }

  async release(userId: string): Promise<void> {
    if (this.ctx.storage.kv.get<string>("owner") !== userId) return;
    this.ctx.storage.kv.delete("owner");
    await this.syncIndex();
  }

  /** Retries an index write that failed; the runtime retries a failing alarm with backoff. */
  async alarm(): Promise<void> {
    await this.index.request();
  }

  /** The claim stands even when KV fails: the index entry follows from the alarm. */
  private async syncIndex(): Promise<void> {
    try {
      await this.index.request();
    } catch (error) {
      console.warn(JSON.stringify({ event: "index.failed", error: String(error) }));
      await this.ctx.storage.setAlarm(Date.now() + 1000);
    }
  }

  private async writeIndex(): Promise<void> {
    const name = this.ctx.storage.kv.get<string>("name");
    const owner = this.ctx.storage.kv.get<string>("owner");
    if (!name) return;
    const index = loginIndex(this.env.KV);
    await (owner && !this.ctx.storage.kv.get("unindexed") ? index.put(name, owner) : index.delete(name));
  }
}
