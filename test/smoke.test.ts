import { exports, env } from "cloudflare:workers";
import { it, expect } from "vitest";
it("serves status", async () => {
  const r = await exports.default.fetch("http://x/api/status");
  expect(r.status).toBe(200);
  expect(await env.USER_GUARD.get(env.USER_GUARD.idFromName("a")).ping()).toBe(1);
});
