// Set-up every workerd suite shares. Alarms need not follow per-file storage isolation, so each
// file deletes the alarms of the objects it created (pending logins, decoy counters, replica retries,
// phone throttles' clean-up) when it ends.
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll } from "vitest";

afterAll(async () => {
  for (const namespace of [env.USER_GUARD, env.IDENTIFIER_CLAIM, env.PHONE_THROTTLE] as unknown as DurableObjectNamespace[]) {
    const ids = await listDurableObjectIds(namespace);
    await Promise.all(ids.map((id) => runInDurableObject(namespace.get(id), (_instance, state) => state.storage.deleteAlarm())));
  }
}, 120_000); // a file may make hundreds of objects (test/security/login-timing.test.ts)
