import { describe, expect, it } from "vitest";
import { call, codeFor, createTwoFactorUser, startTwoFactorLogin } from "../helpers";
describe("smoke", () => {
  it("runs the authenticator tutorial", async () => {
    const user = await createTwoFactorUser();
    const twoFactorId = await startTwoFactorLogin(user);
    expect(twoFactorId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const done = await call("POST", "/api/two-factor/login", { apiKey: null, body: { twoFactorId, code: await codeFor(user.secret, 1) } });
    const text = await done.text();
    expect(done.status, text).toBe(200);
    expect(JSON.parse(text).token).toBeTruthy();
  });
});
