// Both eras on one user: users enrolled through the legacy API (client 1.22.2) log in through
// today's client (1.69.0), and a user enrolled through the Multi-Factor API logs in through the
// legacy client, against a real `wrangler dev`.
import { TwoFactorDelivery } from "@fusionauth/typescript-client";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apiClient,
  AUTHENTICATOR_CONFIGURATION,
  authenticatorCode,
  configureTwilio,
  createTestUser,
  currentClient,
  enableAuthenticatorMethod,
  expectGeneralError,
  expectMethod,
  methodsOf,
  newestCodeTo,
  newPhone,
  onlyCodeTo,
  pendingLogin,
} from "./support";

const legacy = apiClient();
const current = currentClient();

beforeAll(configureTwilio);

/** A legacy enrolment, to the Multi-Factor API: one authenticator method, without its secret. */
function expectOneAuthenticator(methods: object[] | undefined): void {
  expect(methods).toHaveLength(1);
  expectMethod(methods![0], { method: "authenticator", authenticator: AUTHENTICATOR_CONFIGURATION });
}

describe("a user enrolled through one era's client and logging in through the other's", () => {
  it("a legacy authenticator enrolment (1.22.2) is one authenticator method to 1.69.0, which completes the login and turns it off with a recovery code", async () => {
    const user = await createTestUser("mixed-legacy");
    const { response: secret } = await legacy.generateTwoFactorSecret();
    const secretBase32Encoded = secret!.secretBase32Encoded!;
    const enabled = await legacy.enableTwoFactor(user.id, {
      code: authenticatorCode(secretBase32Encoded),
      secret: secret!.secret,
      delivery: TwoFactorDelivery.None,
    });
    expect(enabled.statusCode).toBe(200);
    expect(enabled.response).toBeUndefined();

    const login = await current.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(242);
    expectOneAuthenticator(login.response!.methods);
    const methodId = login.response!.methods![0]!.id!;
    const completed = await current.twoFactorLogin({ twoFactorId: login.response!.twoFactorId!, code: authenticatorCode(secretBase32Encoded, 1) });
    expect(completed.statusCode).toBe(200);
    expect(completed.response!.user!.twoFactor!.methods).toEqual([expect.objectContaining({ id: methodId, lastUsed: true })]);

    // The legacy enable made recovery codes it never showed: 1.69.0 makes a set it can show, and one
    // of them, with the method's id, turns 2FA off for both eras.
    const generated = await current.generateTwoFactorRecoveryCodes(user.id);
    expect(generated.response!.recoveryCodes).toHaveLength(10);
    expect((await current.disableTwoFactor(user.id, methodId, generated.response!.recoveryCodes![0]!)).statusCode).toBe(200);
    expect((await legacy.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None" });
    expect((await legacy.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);
  });

  it("a legacy TextMessage enrolment (1.22.2) is one authenticator method to 1.69.0, whose login texts the code that completes it", async () => {
    const phone = newPhone();
    const user = await createTestUser("mixed-legacy-sms", { mobilePhone: phone.typed });
    const { response: secret } = await legacy.generateTwoFactorSecret();
    expect((await legacy.sendTwoFactorCode({ mobilePhone: phone.typed, secret: secret!.secret })).statusCode).toBe(200);
    const enrolmentCode = await onlyCodeTo(phone.e164);
    const enabled = await legacy.enableTwoFactor(user.id, { code: enrolmentCode, secret: secret!.secret, delivery: TwoFactorDelivery.TextMessage });
    expect(enabled.statusCode).toBe(200);

    const login = await current.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(242);
    expectOneAuthenticator(login.response!.methods);
    const completed = await current.twoFactorLogin({ twoFactorId: login.response!.twoFactorId!, code: await newestCodeTo(phone.e164, 2) });
    expect(completed.statusCode).toBe(200);
    expect(completed.response!.user).toMatchObject({ id: user.id, twoFactor: { methods: [expect.objectContaining({ method: "authenticator" })] } });
    expect((await legacy.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
  });

  it("an authenticator enrolled through 1.69.0 logs in through 1.22.2, whose enable refuses a second enrolment and whose disable removes it with a recovery code", async () => {
    const user = await createTestUser("mixed-current");
    const { secretBase32Encoded, response } = await enableAuthenticatorMethod(current, user.id);
    const recoveryCodes = response!.recoveryCodes!;
    expect(recoveryCodes).toHaveLength(10);
    expect((await legacy.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });

    const { response: other } = await legacy.generateTwoFactorSecret();
    await expectGeneralError(
      legacy.enableTwoFactor(user.id, { code: authenticatorCode(other!.secretBase32Encoded!), secret: other!.secret, delivery: TwoFactorDelivery.None }),
      400,
      "[TwoFactorEnabled]",
    );

    const completed = await legacy.twoFactorLogin({ twoFactorId: await pendingLogin(user), code: authenticatorCode(secretBase32Encoded, 1) });
    expect(completed.statusCode).toBe(200);
    expect(completed.response!.user).toMatchObject({ id: user.id, twoFactorEnabled: true });

    // The legacy disable names no method: it removes every one.
    expect((await legacy.disableTwoFactor(user.id, recoveryCodes[0]!)).statusCode).toBe(200);
    expect(await methodsOf(current, user.id)).toEqual([]);
    expect((await legacy.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);
  });
});
