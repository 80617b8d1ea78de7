// The claim point that keeps emails and usernames unique under concurrent creates: KV has no
// put-if-absent, but one object per identifier is single-threaded, so the first claim wins.
import { DurableObject } from "cloudflare:workers";
import { identifierName, type LoginIdKind } from "../storage/users";

export class IdentifierClaim extends DurableObject<Env> {
  /** Claims the identifier for `userId` if it is free; returns the owner after the call. */
  claim(userId: string): string {
    const owner = this.ctx.storage.kv.get<string>("owner");
    if (owner) return owner;
    this.ctx.storage.kv.put("owner", userId);
    return userId;
  }

  release(userId: string): void {
    if (this.ctx.storage.kv.get<string>("owner") === userId) this.ctx.storage.kv.delete("owner");
  }
}

export async function identifierClaim(env: Env, kind: LoginIdKind, value: string) {
  return env.IDENTIFIER_CLAIM.get(env.IDENTIFIER_CLAIM.idFromName(await identifierName(kind, value)));
}
