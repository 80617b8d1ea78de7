// FusionAuth's Multi-Factor API (1.26+) through the official clients people install, 1.45.0 and
// today's 1.69.0, against a real `wrangler dev` that texts through the fake Twilio: enrolment of an
// authenticator and an SMS method, login with each, recovery codes, Start, status and disabling.
// Every test makes its own user and phone: texts to one phone for one purpose are 30 s apart, and a
// user's authenticator accepts each 30 s time step once, so a test uses this step's code (to enable)
// and the next step's (once), never a third.
import { randomBytes, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  anotherCode,
  apiClient,
  AUTHENTICATOR_CONFIGURATION,
  authenticatorCode,
  configureTwilio,
  createTestUser,
  currentClient,
  e2e,
  enableAuthenticatorMethod,
  enableSmsMethod,
  expectEmptyRejection,
  expectFieldError,
  expectGeneralError,
  expectMethod,
  messagesTo,
  methodsOf,
  multiFactorClients,
  newestCodeTo,
  newPhone,
  onlyCodeTo,
  pendingLogin,
  raw,
  rejection,
  unknownTwoFactorId,
  verifiedClaims,
  wrongCode,
  type MultiFactorClient,
} from "./support";

const legacy = apiClient();

beforeAll(configureTwilio);

/** A user with an authenticator method (enabled with this time step's code) and an SMS method on a phone of its own. */
async function enrolledUser(client: MultiFactorClient, label: string) {
  const user = await createTestUser(label);
  const phone = newPhone();
  const authenticator = await enableAuthenticatorMethod(client, user.id);
  await enableSmsMethod(client, user.id, phone);
  const methods = await methodsOf(client, user.id);
  const idOf = (method: string) => methods.find((candidate) => candidate.method === method)!.id!;
  return {
    ...user,
    phone,
    secretBase32Encoded: authenticator.secretBase32Encoded,
    recoveryCodes: authenticator.response!.recoveryCodes!,
    methods,
    authenticatorId: idOf("authenticator"),
    smsId: idOf("sms"),
  };
}

type EnrolledUser = Awaited<ReturnType<typeof enrolledUser>>;

/** Completes a login with the authenticator's next code and trustComputer; answers the trust id. */
async function trustedLogin(client: MultiFactorClient, user: EnrolledUser): Promise<string> {
  const code = authenticatorCode(user.secretBase32Encoded, 1);
  const completed = await client.twoFactorLogin({ twoFactorId: await pendingLogin(user, client), code, trustComputer: true });
  expect(completed.statusCode).toBe(200);
  expect(completed.response!.twoFactorTrustId).toEqual(expect.any(String));
  return completed.response!.twoFactorTrustId!;
}

/** A well-formed method id that none of the user's methods has. */
function unknownMethodId(user: EnrolledUser): string {
  return ["ZZZZ", "YYYY", "XXXX"].find((id) => id !== user.authenticatorId && id !== user.smsId)!;
}

for (const { version, create } of multiFactorClients) {
  describe(`the Multi-Factor API through @fusionauth/typescript-client ${version}`, () => {
    const client = create();

    it("enables an authenticator (ten recovery codes) and an SMS method with a texted code (an empty 200); the user lists both, without a secret", async () => {
      const user = await createTestUser("mfa-enrol");
      const phone = newPhone();

      const authenticator = await enableAuthenticatorMethod(client, user.id);
      expect(authenticator.response).toEqual({ recoveryCodes: expect.any(Array) });
      const recoveryCodes = authenticator.response!.recoveryCodes!;
      expect(new Set(recoveryCodes).size).toBe(10);

      const sent = await client.sendTwoFactorCodeForEnableDisable({ userId: user.id, method: "sms", mobilePhone: phone.typed });
      expect(sent.statusCode).toBe(200);
      expect(sent.response).toBeUndefined();
      const code = await onlyCodeTo(phone.e164);
      // The code is bound to the phone it was sent to, and refused when wrong; neither uses it up.
      await expectFieldError(
        client.enableTwoFactor(user.id, { method: "sms", mobilePhone: newPhone().typed, code }),
        400,
        "mobilePhone",
        "[mismatch]mobilePhone",
      );
      await expectEmptyRejection(client.enableTwoFactor(user.id, { method: "sms", mobilePhone: phone.typed, code: anotherCode(code) }), 421);
      const enabled = await client.enableTwoFactor(user.id, { method: "sms", mobilePhone: phone.typed, code });
      expect(enabled.statusCode).toBe(200);
      // Not the first method: no recovery codes, an empty body without a JSON content type.
      expect(enabled.response).toBeUndefined();
      await expectEmptyRejection(client.enableTwoFactor(user.id, { method: "sms", mobilePhone: phone.typed, code }), 421);

      const retrieved = await client.retrieveUser(user.id);
      const methods = retrieved.response!.user!.twoFactor!.methods!;
      expect(methods).toHaveLength(2);
      expectMethod(methods[0], { method: "authenticator", authenticator: AUTHENTICATOR_CONFIGURATION });
      expectMethod(methods[1], { method: "sms", mobilePhone: expect.any(String) });
      expect([phone.typed, phone.e164]).toContain(methods[1]!.mobilePhone);
      expect(methods[0]!.id).not.toBe(methods[1]!.id);
      const body = JSON.stringify(retrieved.response);
      expect(body).not.toContain(authenticator.secret);
      expect(body).not.toContain(authenticator.secretBase32Encoded);
      for (const recoveryCode of recoveryCodes) expect(body).not.toContain(recoveryCode);

      // The legacy fields, derived: an SMS method is not the legacy TextMessage delivery.
      expect((await legacy.retrieveUser(user.id)).response!.user).toMatchObject({
        twoFactorEnabled: true,
        twoFactorDelivery: "None",
        twoFactorRecoveryCodesRemaining: 10,
      });
    });

    it("answers a login with 242 and the user's methods, texting nothing; the authenticator's next code completes it and is lastUsed", async () => {
      const user = await enrolledUser(client, "mfa-totp-login");

      const login = await client.login({ loginId: user.email, password: user.password });
      expect(login.statusCode).toBe(242);
      expect(login.response).toEqual({ twoFactorId: expect.any(String), methods: user.methods });
      expect(await messagesTo(user.phone.e164)).toHaveLength(1); // the enrolment's text only
      const twoFactorId = login.response!.twoFactorId!;

      await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: wrongCode(user.secretBase32Encoded) }), 421);
      const completed = await client.twoFactorLogin({ twoFactorId, code: authenticatorCode(user.secretBase32Encoded, 1) });
      expect(completed.statusCode).toBe(200);
      expect(verifiedClaims(completed.response!.token!, e2e.jwtSigningKey)).toMatchObject({ sub: user.id });
      const methods = completed.response!.user!.twoFactor!.methods!;
      expect(methods.find((method) => method.id === user.authenticatorId)).toMatchObject({ lastUsed: true });
      expect(methods.find((method) => method.id === user.smsId)!.lastUsed).not.toBe(true);

      await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: authenticatorCode(user.secretBase32Encoded, 1) }), 404);
    });

    it("texts the SMS method's phone on sendTwoFactorCodeForLoginUsingMethod, and that code completes the login", async () => {
      const user = await enrolledUser(client, "mfa-sms-login");
      const twoFactorId = await pendingLogin(user, client);

      const sent = await client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId: user.smsId });
      expect(sent.statusCode).toBe(200);
      expect(sent.response).toBeUndefined();
      const code = await newestCodeTo(user.phone.e164, 2);

      const completed = await client.twoFactorLogin({ twoFactorId, code });
      expect(completed.statusCode).toBe(200);
      expect(completed.response!.user).toMatchObject({ id: user.id });
      expect(completed.response!.user!.twoFactor!.methods!.find((method) => method.id === user.smsId)).toMatchObject({ lastUsed: true });
    });

    it("completes a login with a recovery code once, not twice; another recovery code removes every method", async () => {
      const user = await enrolledUser(client, "mfa-recovery-login");
      const [forLogin, forDisable] = user.recoveryCodes as [string, string];

      const completed = await client.twoFactorLogin({ twoFactorId: await pendingLogin(user, client), code: forLogin });
      expect(completed.statusCode).toBe(200);
      expect(completed.response!.user).toMatchObject({ id: user.id });
      await expectEmptyRejection(client.twoFactorLogin({ twoFactorId: await pendingLogin(user, client), code: forLogin }), 421);
      expect((await legacy.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorRecoveryCodesRemaining: 9 });

      // Named by the SMS method's id, a recovery code turns off both methods, and the codes with them.
      const disabled = await client.disableTwoFactor(user.id, user.smsId, forDisable);
      expect(disabled.statusCode).toBe(200);
      expect(disabled.response).toBeUndefined();
      expect(await methodsOf(client, user.id)).toEqual([]);
      expect((await legacy.retrieveUser(user.id)).response!.user).not.toHaveProperty("twoFactorRecoveryCodesRemaining");
      expect((await client.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);
    });

    it("replaces the recovery codes with generateTwoFactorRecoveryCodes; retrieveTwoFactorRecoveryCodes answers an empty list", async () => {
      const user = await enrolledUser(client, "mfa-recovery-codes");

      const generated = await client.generateTwoFactorRecoveryCodes(user.id);
      expect(generated.statusCode).toBe(200);
      expect(generated.response).toEqual({ recoveryCodes: expect.any(Array) });
      const recoveryCodes = generated.response!.recoveryCodes!;
      expect(new Set(recoveryCodes).size).toBe(10);
      expect(recoveryCodes.filter((code) => user.recoveryCodes.includes(code))).toEqual([]);

      // Hashed at rest: nothing to show again.
      const retrieved = await client.retrieveTwoFactorRecoveryCodes(user.id);
      expect(retrieved.statusCode).toBe(200);
      expect(retrieved.response).toEqual({ recoveryCodes: [] });

      await expectEmptyRejection(client.twoFactorLogin({ twoFactorId: await pendingLogin(user, client), code: user.recoveryCodes[0]! }), 421);
      expect((await client.twoFactorLogin({ twoFactorId: await pendingLogin(user, client), code: recoveryCodes[0]! })).statusCode).toBe(200);
    });

    it("starts a login by userId with state (startTwoFactorLogin); twoFactorLogin with its code answers the login and echoes the state", async () => {
      const user = await enrolledUser(client, "mfa-start");
      const state = { redirect_uri: "/transfer", attempt: 2 };

      const started = await client.startTwoFactorLogin({ userId: user.id, state });
      expect(started.statusCode).toBe(200);
      expect(started.response).toEqual({ code: expect.any(String), twoFactorId: expect.any(String), methods: user.methods });
      const { code, twoFactorId } = started.response as { code: string; twoFactorId: string };
      expect(code).not.toBe("");
      expect(await messagesTo(user.phone.e164)).toHaveLength(1); // Start texts nothing: the caller delivers the code

      const completed = await client.twoFactorLogin({ twoFactorId, code });
      expect(completed.statusCode).toBe(200);
      expect(completed.response).toMatchObject({ token: expect.any(String), user: { id: user.id } });
      expect(completed.response!.state).toEqual(state);
      await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code }), 404);
    });

    it("starts a login by loginId with a code the caller made; only that code completes it, echoing the state; an unknown user is 404", async () => {
      const user = await enrolledUser(client, "mfa-start-code");
      const code = randomBytes(4).toString("hex");

      const started = await client.startTwoFactorLogin({ loginId: user.email, code, state: { step: "up" } });
      expect(started.statusCode).toBe(200);
      expect(started.response!.code).toBe(code);
      const twoFactorId = started.response!.twoFactorId!;

      await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: `${code}0` }), 421);
      const completed = await client.twoFactorLogin({ twoFactorId, code });
      expect(completed.statusCode).toBe(200);
      expect(completed.response!.user!.id).toBe(user.id);
      expect(completed.response!.state).toEqual({ step: "up" });

      await expectEmptyRejection(client.startTwoFactorLogin({ userId: randomUUID() }), 404);
    });

    it("answers retrieveTwoFactorStatus with 242 without a trust, and 200 with the trust id of a twoFactorLogin with trustComputer", async () => {
      const user = await enrolledUser(client, "mfa-status");

      // The client's parameters are all required: JavaScript callers leave them out, which it sends as
      // `applicationId=undefined`; TypeScript callers pass null (`applicationId=null`).
      const untrusted = await client.retrieveTwoFactorStatus(user.id, undefined!, undefined!);
      expect(untrusted.statusCode).toBe(242);
      expect(untrusted.response).toEqual({ trusts: [] });

      const twoFactorTrustId = await trustedLogin(client, user);

      for (const applicationId of [undefined, null]) {
        const trusted = await client.retrieveTwoFactorStatus(user.id, applicationId!, twoFactorTrustId);
        expect(trusted.statusCode).toBe(200);
        expect(trusted.response).toEqual({
          twoFactorTrustId,
          trusts: [expect.objectContaining({ startInstant: expect.any(Number), expiration: expect.any(Number) })],
        });
        const [trust] = trusted.response!.trusts!;
        expect(trust!.startInstant).toBeLessThanOrEqual(Date.now());
        expect(trust!.expiration).toBeGreaterThan(Date.now());
      }
      // What the status says is what the login does.
      expect((await client.login({ loginId: user.email, password: user.password, twoFactorTrustId })).statusCode).toBe(200);
      expect((await client.retrieveTwoFactorStatus(user.id, undefined!, `${twoFactorTrustId}x`)).statusCode).toBe(242);

      // A user without methods would not be challenged.
      const plain = await createTestUser("mfa-status-plain");
      expect((await client.retrieveTwoFactorStatus(plain.id, undefined!, undefined!)).statusCode).toBe(200);
    });

    it("disables the SMS method with a code sent for that, and the authenticator with its next code; then login answers 200", async () => {
      const user = await enrolledUser(client, "mfa-disable");

      const sent = await client.sendTwoFactorCodeForEnableDisable({ userId: user.id, methodId: user.smsId });
      expect(sent.statusCode).toBe(200);
      expect(sent.response).toBeUndefined();
      const code = await newestCodeTo(user.phone.e164, 2);

      await expectFieldError(client.disableTwoFactor(user.id, unknownMethodId(user), code), 400, "methodId", "[invalid]methodId");
      await expectEmptyRejection(client.disableTwoFactor(user.id, user.smsId, anotherCode(code)), 421);
      const smsOff = await client.disableTwoFactor(user.id, user.smsId, code);
      expect(smsOff.statusCode).toBe(200);
      expect(smsOff.response).toBeUndefined();
      expect(await methodsOf(client, user.id)).toEqual([expect.objectContaining({ id: user.authenticatorId, method: "authenticator" })]);
      expect((await legacy.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: true });

      await expectEmptyRejection(client.disableTwoFactor(user.id, user.authenticatorId, wrongCode(user.secretBase32Encoded)), 421);
      const off = await client.disableTwoFactor(user.id, user.authenticatorId, authenticatorCode(user.secretBase32Encoded, 1));
      expect(off.statusCode).toBe(200);
      expect(off.response).toBeUndefined();

      expect(await methodsOf(client, user.id)).toEqual([]);
      const after = (await legacy.retrieveUser(user.id)).response!.user!;
      expect(after).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None" });
      expect(after).not.toHaveProperty("twoFactorRecoveryCodesRemaining");
      const login = await client.login({ loginId: user.email, password: user.password });
      expect(login.statusCode).toBe(200);
      expect(login.response!.token).toEqual(expect.any(String));
      await expectGeneralError(client.generateTwoFactorRecoveryCodes(user.id), 400, "[TwoFactorNotEnabled]");
    });
  });
}

describe("the Multi-Factor calls only @fusionauth/typescript-client 1.69.0 has", () => {
  const client = currentClient();

  it("names a method (updateTwoFactor), reads the status from a body (retrieveTwoFactorStatusWithRequest) and disables with a body (disableTwoFactorWithRequest)", async () => {
    const user = await enrolledUser(client, "mfa-current");

    const named = await client.updateTwoFactor(user.id, { methodId: user.authenticatorId, name: "Phone authenticator" });
    expect(named.statusCode).toBe(200);
    expect(named.response).toBeUndefined();
    const methods = await methodsOf(client, user.id);
    expect(methods.find((method) => method.id === user.authenticatorId)).toMatchObject({ name: "Phone authenticator" });
    expect(methods.find((method) => method.id === user.smsId)).not.toHaveProperty("name");

    const untrusted = await client.retrieveTwoFactorStatusWithRequest({ userId: user.id });
    expect(untrusted.statusCode).toBe(242);
    expect(untrusted.response).toEqual({ trusts: [] });
    const twoFactorTrustId = await trustedLogin(client, user);
    const trusted = await client.retrieveTwoFactorStatusWithRequest({ userId: user.id, twoFactorTrustId });
    expect(trusted.statusCode).toBe(200);
    expect(trusted.response).toMatchObject({ twoFactorTrustId, trusts: [expect.objectContaining({ expiration: expect.any(Number) })] });

    expect((await client.sendTwoFactorCodeForEnableDisable({ userId: user.id, methodId: user.smsId })).statusCode).toBe(200);
    const code = await newestCodeTo(user.phone.e164, 2);
    const smsOff = await client.disableTwoFactorWithRequest(user.id, { methodId: user.smsId, code });
    expect(smsOff.statusCode).toBe(200);
    expect(smsOff.response).toBeUndefined();
    expect((await methodsOf(client, user.id)).map((method) => method.id)).toEqual([user.authenticatorId]);

    const off = await client.disableTwoFactorWithRequest(user.id, { methodId: user.authenticatorId, code: user.recoveryCodes[0]! });
    expect(off.statusCode).toBe(200);
    expect(await methodsOf(client, user.id)).toEqual([]);
  });
});

describe("the anonymous login send (POST /api/two-factor/send/{twoFactorId})", () => {
  const client = currentClient();

  it("refuses the enable and disable forms, an authenticator's or unknown methodId and an unknown twoFactorId, texting no one", async () => {
    const user = await enrolledUser(client, "mfa-send-refusals");
    const twoFactorId = await pendingLogin(user, client);
    const stranger = newPhone();

    // The official client sends these without credentials, as it sends the login send.
    for (const body of [
      { userId: user.id, method: "sms", mobilePhone: stranger.typed },
      { userId: user.id, methodId: user.smsId },
      { methodId: user.smsId, method: "sms" },
    ]) {
      const rejected = await rejection(client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, body));
      expect(rejected.statusCode, JSON.stringify(body)).toBe(400);
      const errors = rejected.exception as { fieldErrors?: object; generalErrors?: object[] };
      expect(errors.fieldErrors ?? errors.generalErrors).toBeDefined();
    }
    // The query form, raw (no client sends it): without credentials this path sends nothing at all.
    const asQuery = await raw("POST", `/api/two-factor/send?twoFactorId=${twoFactorId}`, {
      body: { userId: user.id, method: "sms", mobilePhone: stranger.typed },
    });
    expect(asQuery.status).toBe(401);

    await expectFieldError(
      client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId: user.authenticatorId }),
      400,
      "methodId",
      "[cannotSend]methodId",
    );
    await expectFieldError(client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId: unknownMethodId(user) }), 400, "methodId", "[invalid]methodId");
    await expectFieldError(
      client.sendTwoFactorCodeForLoginUsingMethod(unknownTwoFactorId(), { methodId: user.smsId }),
      400,
      "twoFactorId",
      "[invalid]twoFactorId",
    );
    // The query form (`/api/two-factor/send?twoFactorId=`) is not served without credentials.
    const unknownAsQuery = await raw("POST", `/api/two-factor/send?twoFactorId=${unknownTwoFactorId()}`, { body: { methodId: user.smsId } });
    expect(unknownAsQuery.status).toBe(401);

    expect(await messagesTo(stranger.e164)).toHaveLength(0);
    expect(await messagesTo(user.phone.e164)).toHaveLength(1);
    // None of that spent the login's texts: the right body is texted.
    expect((await client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId: user.smsId })).statusCode).toBe(200);
    expect((await client.twoFactorLogin({ twoFactorId, code: await newestCodeTo(user.phone.e164, 2) })).statusCode).toBe(200);
  });
});
