// A user who lost their phone, through the official 1.22 client: recovery codes (FusionAuth 1.26's
// API, which this client predates, so they are generated with a raw call) go through the client's
// own twoFactorLogin and disableTwoFactor unchanged, each once.
import { TwoFactorDelivery } from "@fusionauth/typescript-client";
import { describe, expect, it } from "vitest";
import { apiClient, authenticatorCode, createTestUser, e2e, expectEmptyRejection, pendingLogin, raw } from "./support";

const client = apiClient();

async function userWithRecoveryCodes() {
  const user = await createTestUser("recovery");
  const { response } = await client.generateTwoFactorSecret();
  const enabled = await client.enableTwoFactor(user.id, {
    code: authenticatorCode(response!.secretBase32Encoded!),
    secret: response!.secret!,
    delivery: TwoFactorDelivery.None,
  });
  expect(enabled.statusCode).toBe(200);
  const generated = await raw("POST", `/api/user/two-factor/recovery-code/${user.id}`, { headers: { Authorization: e2e.apiKey } });
  expect(generated.status).toBe(200);
  const { recoveryCodes } = JSON.parse(generated.body) as { recoveryCodes: string[] };
  expect(recoveryCodes).toHaveLength(10);
  return { ...user, recoveryCodes };
}

describe("recovery codes through the official client", () => {
  it("logs in with one code (lower case, no dash) and disables 2FA with another; neither works twice", async () => {
    const user = await userWithRecoveryCodes();
    const [forLogin, forDisable] = user.recoveryCodes as [string, string];

    const login = await client.twoFactorLogin({ twoFactorId: await pendingLogin(user), code: forLogin.replace("-", "").toLowerCase() });
    expect(login.statusCode).toBe(200);
    expect(login.response!.user!.id).toBe(user.id);
    expect(login.response!.user).toMatchObject({ twoFactorEnabled: true, twoFactorRecoveryCodesRemaining: 9 });
    await expectEmptyRejection(client.twoFactorLogin({ twoFactorId: await pendingLogin(user), code: forLogin }), 421);

    expect((await client.disableTwoFactor(user.id, forDisable)).statusCode).toBe(200);
    const after = await client.retrieveUser(user.id);
    expect(after.response!.user!.twoFactorEnabled).toBe(false);
    expect(after.response!.user).not.toHaveProperty("twoFactorRecoveryCodesRemaining");
    // 2FA is off: the password alone logs in, and the remaining codes went with the enrolment.
    expect((await client.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);
  });

  it("refuses a recovery code for the enable call, which only takes the authenticator's code", async () => {
    const user = await createTestUser("recovery-enable");
    const { response } = await client.generateTwoFactorSecret();
    await expectEmptyRejection(client.enableTwoFactor(user.id, { code: "ABCDE-FGHJK", secret: response!.secret!, delivery: TwoFactorDelivery.None }), 421);
  });
});
