// Set-up every workerd suite shares. Alarms need not follow per-file storage isolation, so each
// file deletes the alarms of the objects it created (pending logins, decoy counters) when it ends.
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll } from "vitest";

afterAll(async () => {
  const ids = await listDurableObjectIds(env.USER_GUARD);
  await Promise.all(ids.map((id) => runInDurableObject(env.USER_GUARD.get(id), (_instance, state) => state.storage.deleteAlarm())));
});
