// Trusted devices: FusionAuth's two-factor status (200 when a trust id skips the second factor,
// 242 when a challenge would be needed), and listing and revoking a user's devices by a name that
// is not a credential.
import { describe, expect, it } from "vitest";
import {
  accessToken,
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  jsonBody,
  login,
  startTwoFactorLogin,
  trustedLogin,
  twoFactorLogin,
} from "../helpers";
import { editAccount } from "../storage";

type Device = { id: string; applicationId?: string; issuedInstant: number; lastUsedInstant: number; expirationInstant: number };

const status = (trustId: string, userId: string) => call("GET", `/api/two-factor/status/${encodeURIComponent(trustId)}?userId=${userId}`);
const devices = async (userId: string) => (await jsonBody<{ devices: Device[] }>(await call("GET", `/api/user/two-factor/trust/${userId}`))).devices;

describe("GET /api/two-factor/status/{twoFactorTrustId}", () => {
  it("answers 200 with the trust for a valid trust id, 242 otherwise", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const before = Date.now();
    const { trustId } = await trustedLogin(user);
    const valid = await status(trustId, user.id);
    expect(valid.status).toBe(200);
    const body = await jsonBody(valid);
    expect(body.twoFactorTrustId).toBe(trustId);
    expect(body.trusts).toEqual([{ startInstant: expect.any(Number), expiration: expect.any(Number) }]);
    expect(body.trusts[0].startInstant).toBeGreaterThanOrEqual(before);
    expect(body.trusts[0].expiration - body.trusts[0].startInstant).toBe(2_592_000_000);

    for (const other of ["garbage", (await trustedLogin(await createTwoFactorUserWithoutCode())).trustId]) {
      const challenged = await status(other, user.id);
      expect(challenged.status).toBe(242);
      expect(await jsonBody(challenged)).toEqual({ trusts: [] });
    }
    await editAccount(user.id, ({ guard }) => {
      for (const device of Object.values(guard.trust)) device.expiresAt = Date.now() - 1;
    });
    expect((await status(trustId, user.id)).status).toBe(242);
  });

  it("answers 200 for a user without 2FA (no challenge would be needed)", async () => {
    const user = await createUser();
    expect((await status("anything", user.id)).status).toBe(200);
  });

  it("needs an API key and a userId; an unknown user is 404", async () => {
    const user = await createTwoFactorUserWithoutCode();
    expect((await call("GET", `/api/two-factor/status/x?userId=${user.id}`, { apiKey: null })).status).toBe(401);
    expect((await call("GET", "/api/two-factor/status/x")).status).toBe(400);
    expect((await call("GET", "/api/two-factor/status/x?userId=nope")).status).toBe(400);
    expect((await status("x", crypto.randomUUID())).status).toBe(404);
  });
});

describe("a user's trusted devices", () => {
  it("lists each device with its times, never its trust id, most recently used first", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const first = await trustedLogin(user);
    await editAccount(user.id, ({ guard }) => {
      for (const device of Object.values(guard.trust)) device.lastUsedAt -= 60_000;
    });
    const list = await devices(user.id);
    expect(list).toHaveLength(1);
    expect(list[0]!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(list)).not.toContain(first.trustId);
    const used = list[0]!.lastUsedInstant;
    // A login with the trust id marks it used.
    expect((await login(user.email, user.password, { twoFactorTrustId: first.trustId })).status).toBe(200);
    expect((await devices(user.id))[0]!.lastUsedInstant).toBeGreaterThan(used);
    // A device's name is not a trust id.
    expect((await login(user.email, user.password, { twoFactorTrustId: list[0]!.id })).status).toBe(242);
    expect((await status(list[0]!.id, user.id)).status).toBe(242);
  });

  it("revokes one device by id, then the rest", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const kept = await trustedLogin(user);
    await editAccount(user.id, ({ guard }) => {
      for (const device of Object.values(guard.trust)) device.lastUsedAt -= 60_000;
    });
    // A second device; its code is the next step's (the first login used this one).
    const second = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret, 1), trustComputer: true });
    const trustId = (await jsonBody(second)).twoFactorTrustId as string;
    const [newest, oldest] = await devices(user.id);
    expect((await call("DELETE", `/api/user/two-factor/trust/${user.id}?deviceId=${newest!.id}`)).status).toBe(200);
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId })).status).toBe(242);
    expect((await login(user.email, user.password, { twoFactorTrustId: kept.trustId })).status).toBe(200);
    expect((await devices(user.id)).map((device) => device.id)).toEqual([oldest!.id]);
    expect((await call("DELETE", `/api/user/two-factor/trust/${user.id}?deviceId=${newest!.id}`)).status).toBe(404);
    expect((await call("DELETE", `/api/user/two-factor/trust/${user.id}?deviceId=not-a-device`)).status).toBe(400);
    expect((await call("DELETE", `/api/user/two-factor/trust/${user.id}`)).status).toBe(200);
    expect(await devices(user.id)).toEqual([]);
    expect((await login(user.email, user.password, { twoFactorTrustId: kept.trustId })).status).toBe(242);
  });

  it("lets a user list and revoke their own devices with a JWT, and no one else's", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: "8MJJfCY4ERBtotvenSc3" } } })).status).toBe(
      200,
    );
    const { trustId } = await trustedLogin({ ...user, secret: "8MJJfCY4ERBtotvenSc3" });
    const other = await createTwoFactorUserWithoutCode();
    await trustedLogin(other);
    const mine = await call("GET", "/api/user/two-factor/trust", { apiKey: `Bearer ${token}` });
    expect((await jsonBody(mine)).devices).toHaveLength(1);
    // The JWT acts on its own subject, whatever the path says.
    expect((await call("DELETE", `/api/user/two-factor/trust/${other.id}`, { apiKey: `Bearer ${token}` })).status).toBe(200);
    expect(await devices(other.id)).toHaveLength(1);
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId })).status).toBe(242);
    expect((await call("GET", "/api/user/two-factor/trust", { apiKey: null })).status).toBe(401);
  });
});
