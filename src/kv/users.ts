// The KV replica of each user and the login-id index, for edge reads: `GET /api/user` and finding
// a user id by email or username. Each key has one writer: a user's record is written by its
// Durable Object after a change commits, an index entry by the object that owns that login id's
// uniqueness claim. Nothing decided at login or 2FA time is read from here except which object to ask.
import type { PublicUser } from "../domain/user";

/** A replica of a user's public record as of `version` (the object's change counter). */
export type UserReplica = { version: number; user: PublicUser };

const replicaKey = (userId: string) => `v1:user:${userId}`;
/** `name` is a login id's fixed-length name (src/domain/user.ts `loginIdName`). */
const indexKey = (name: string) => `v1:${name}`;

export function userReplicas(kv: KVNamespace) {
  return {
    get: (userId: string) => kv.get<UserReplica>(replicaKey(userId), "json"),
    put: (replica: UserReplica) => kv.put(replicaKey(replica.user.id), JSON.stringify(replica)),
    delete: (userId: string) => kv.delete(replicaKey(userId)),
    /** One page of user ids in key order, and the cursor of the next page (null after the last). */
    ids: async (cursor: string | null, limit: number): Promise<{ ids: string[]; cursor: string | null }> => {
      const page = await kv.list({ prefix: replicaKey(""), limit, ...(cursor && { cursor }) });
      return { ids: page.keys.map((key) => key.name.slice(replicaKey("").length)), cursor: page.list_complete ? null : page.cursor };
    },
  };
}

export function loginIndex(kv: KVNamespace) {
  return {
    userIdFor: (name: string) => kv.get(indexKey(name)),
    put: (name: string, userId: string) => kv.put(indexKey(name), userId),
    delete: (name: string) => kv.delete(indexKey(name)),
  };
}
