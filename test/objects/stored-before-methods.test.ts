// Accounts and replicas stored before methods existed (the legacy `twoFactorEnabled`,
// `twoFactorSecret`, `twoFactorDelivery` fields): they keep working with no step to run.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, codeFor, createTwoFactorUserWithoutCode, jsonBody, login, twoFactorLogin } from "../helpers";
import { editAccount, kvKeys, objectKeys, userGuardOf } from "../storage";

/** Rewrites the user's stored record and its replica in the shape written before methods. */
async function storeTheEarlierWay(userId: string): Promise<string> {
  let sealed = "";
  await editAccount(userId, (account) => {
    const method = account.user.twoFactor.methods[0]!;
    sealed = "secret" in method ? method.secret : "";
    const { twoFactor: _methods, ...rest } = account.user;
    Object.assign(account, { user: { ...rest, twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: sealed } });
  });
  const replica = (await env.KV.get<{ version: number; user: Record<string, unknown> }>(kvKeys.user(userId), "json"))!;
  const { twoFactor: _shown, ...earlier } = replica.user;
  await env.KV.put(kvKeys.user(userId), JSON.stringify({ ...replica, user: earlier }));
  return sealed;
}

describe("an account stored before methods", () => {
  it("reads as one authenticator method: the User API shows it, a login lists it and its TOTP completes the login", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const sealed = await storeTheEarlierWay(user.id);

    const shown = (await jsonBody(await call("GET", `/api/user/${user.id}`))).user;
    expect(shown).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    expect(shown.twoFactor.methods).toEqual([{ id: expect.stringMatching(/^[A-Z0-9]{4}$/), method: "authenticator", authenticator: expect.any(Object) }]);
    expect(JSON.stringify(shown)).not.toContain(sealed);

    const started = await login(user.email, user.password);
    expect(started.status).toBe(242);
    const { twoFactorId, methods } = await jsonBody(started);
    expect(methods).toEqual(shown.twoFactor.methods);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);

    // Reading it through the object wrote the record and the replica anew, in today's shape.
    const stored = await runInDurableObject(userGuardOf(user.id), (_instance, state) => state.storage.kv.get<Record<string, unknown>>(objectKeys.user)!);
    expect(stored).not.toHaveProperty("twoFactorSecret");
    expect(stored.twoFactor).toEqual({ methods: [{ id: shown.twoFactor.methods[0].id, method: "authenticator", secret: sealed }] });
    expect((await env.KV.get<{ user: Record<string, unknown> }>(kvKeys.user(user.id), "json"))!.user.twoFactor).toEqual(shown.twoFactor);
  });
});
