// Which decoy object stands in for an unknown login id (src/objects/user-guard.ts): HMAC-SHA256 of
// the login id's name under a key derived from ENCRYPTION_KEY, so whoever lacks the key can neither
// tell which login ids share a shard nor pick many that do, to crowd one.
import { macKey } from "./keyring";

const encoder = new TextEncoder();

/** The shard, 0 to `shards` - 1 (a power of two, so every shard is as likely), of login id name `loginIdName`. */
export async function decoyShardOf(setting: string | undefined, loginIdName: string, shards: number): Promise<number> {
  const key = await macKey(setting, "legacy-two-factor: decoy shard");
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(loginIdName));
  return new DataView(mac).getUint32(0) % shards;
}
