// Unknown login ids share a fixed set of decoy shards (src/objects/user-guard.ts decoyGuard), each
// counting every login id's failures apart, and its alarm deletes the counters that have expired.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decoyShardOf } from "../../src/crypto/decoy-shard";
import { loginIdName } from "../../src/crypto/login-id-name";
import { DECOY_SHARDS } from "../../src/objects/user-guard";
import { Decoys } from "../../src/objects/user/decoys";
import { login, uniqueEmail } from "../helpers";
import { userGuardOf } from "../storage";

const shardOf = async (loginId: string) => decoyShardOf(env.ENCRYPTION_KEY, await loginIdName(loginId), DECOY_SHARDS);

describe("decoy shards", () => {
  it("are picked by a keyed hash: another ENCRYPTION_KEY spreads the same login ids differently, all shards alike", async () => {
    const names = await Promise.all(Array.from({ length: 2048 }, (_, i) => loginIdName(`user-${i}@example.com`)));
    const shards = await Promise.all(names.map((name) => decoyShardOf(env.ENCRYPTION_KEY, name, DECOY_SHARDS)));
    const otherKey = "k1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    const others = await Promise.all(names.map((name) => decoyShardOf(otherKey, name, DECOY_SHARDS)));
    expect(shards.filter((shard, i) => shard === others[i]).length).toBeLessThan(30);
    const counts = new Array<number>(DECOY_SHARDS).fill(0);
    for (const shard of shards) counts[shard]! += 1;
    // 8 a shard on average: a uniform hash puts more than 25 in one shard for about one key in 10,000.
    expect(Math.max(...counts)).toBeLessThanOrEqual(25);
  });

  it("count two unknown login ids of one shard apart: five wrong passwords lock one, not the other", async () => {
    const first = uniqueEmail("nobody");
    let second = uniqueEmail("nobody");
    while ((await shardOf(second)) !== (await shardOf(first))) second = uniqueEmail("nobody");
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(first, "not the password")).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 409]);
    expect((await login(second, "not the password")).status).toBe(404);
  });

  it("delete expired counters when the alarm runs, and ask for the next run no sooner than a minute later", async () => {
    // Any object without an account is a decoy; a fresh one keeps the counters of this test alone.
    await runInDurableObject(userGuardOf(crypto.randomUUID()), (instance) => {
      const { decoys } = instance as unknown as { decoys: Decoys };
      const start = 1_000_000;
      decoys.fail("login:old", start);
      decoys.fail("login:recent", start + 50_000);
      // The defaults: failures count for 60 s.
      expect(decoys.prune(start + 61_000)).toEqual([start + 121_000]);
      expect(decoys.fail("login:old", start + 62_000)).toEqual({ expiresAt: start + 122_000 });
      expect(decoys.prune(start + 200_000)).toEqual([]);
    });
  });
});
