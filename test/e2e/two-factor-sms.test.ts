// Two-factor codes by SMS (TextMessage delivery), driven by the official client against a real
// `wrangler dev` that texts through the fake Twilio. Every test uses its own phone numbers: the
// server spaces repeated texts to a number by 30 s, and one test shows that on purpose.
import { TwoFactorDelivery } from "@fusionauth/typescript-client";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apiClient,
  authenticatorCode,
  configureTwilio,
  createTestUser,
  expectEmptyRejection,
  expectGeneralError,
  messagesTo,
  newPhone,
  onlyCodeTo,
  unknownTwoFactorId,
} from "./support";

const client = apiClient();

beforeAll(configureTwilio);

/** A user whose TextMessage 2FA was switched on through the User API (no code needed, no text sent). */
async function textMessageUser(label: string) {
  const phone = newPhone();
  const user = await createTestUser(label, { mobilePhone: phone.typed, twoFactorEnabled: true, twoFactorDelivery: TwoFactorDelivery.TextMessage });
  expect(user.user).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
  expect(await messagesTo(phone.e164)).toHaveLength(0);
  return { ...user, phone };
}

describe("TextMessage two-factor through the official client", () => {
  it("texts an enrolment code with sendTwoFactorCode and enables TextMessage 2FA with that code", async () => {
    const phone = newPhone();
    const { id } = await createTestUser("sms-enable", { mobilePhone: phone.typed });
    const { statusCode, response: secret } = await client.generateTwoFactorSecret();
    expect(statusCode).toBe(200);

    const sent = await client.sendTwoFactorCode({ mobilePhone: phone.typed, secret: secret!.secret });
    expect(sent.statusCode).toBe(200);
    expect(sent.response).toBeUndefined();
    const code = await onlyCodeTo(phone.e164); // normalised to E.164, from the configured number
    // The texted code is the secret's TOTP, as an independent implementation computes it.
    expect([authenticatorCode(secret!.secretBase32Encoded!, -1), authenticatorCode(secret!.secretBase32Encoded!)]).toContain(code);

    const enabled = await client.enableTwoFactor(id, { code, secret: secret!.secret, delivery: TwoFactorDelivery.TextMessage });
    expect(enabled.statusCode).toBe(200);
    expect(enabled.response).toBeUndefined();

    const retrieved = await client.retrieveUser(id);
    expect(retrieved.response!.user).toMatchObject({ id, twoFactorEnabled: true, twoFactorDelivery: "TextMessage", mobilePhone: phone.typed });
    expect(retrieved.response!.user).not.toHaveProperty("twoFactorSecret");
  });

  it("texts a code on login (242) and completes the login with it; a wrong code rejects with an empty 421", async () => {
    const user = await textMessageUser("sms-login");

    const login = await client.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(242);
    // The 1.26+ superset (the user's methods) is ignored by this client.
    expect(Object.keys(login.response!)).toEqual(["twoFactorId", "methods"]);
    const twoFactorId = login.response!.twoFactorId!;
    expect(twoFactorId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const code = await onlyCodeTo(user.phone.e164);

    const wrong = code === "000000" ? "000001" : "000000";
    await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: wrong }), 421);

    const completed = await client.twoFactorLogin({ twoFactorId, code });
    expect(completed.statusCode).toBe(200);
    expect(completed.response!.token).toEqual(expect.any(String));
    expect(completed.response!.user).toMatchObject({ id: user.id, email: user.email, twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
    expect(completed.response!.twoFactorTrustId).toBeUndefined();

    // The twoFactorId is spent: using it again is an unknown id.
    await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code }), 404);
  });

  it("refuses a second text for the same login or the same user within 30 seconds with a 429 Errors body", async () => {
    const loggingIn = await textMessageUser("sms-spacing-login");
    const login = await client.login({ loginId: loggingIn.email, password: loggingIn.password });
    expect(login.statusCode).toBe(242);
    expect(await messagesTo(loggingIn.phone.e164)).toHaveLength(1);
    await expectGeneralError(client.sendTwoFactorCodeForLogin(login.response!.twoFactorId!), 429, "[TooManyRequests]");
    expect(await messagesTo(loggingIn.phone.e164)).toHaveLength(1);

    const disabling = await textMessageUser("sms-spacing-user");
    expect((await client.sendTwoFactorCode({ userId: disabling.id })).statusCode).toBe(200);
    await expectGeneralError(client.sendTwoFactorCode({ userId: disabling.id }), 429, "[TooManyRequests]");
    expect(await messagesTo(disabling.phone.e164)).toHaveLength(1);
  });

  it("texts an existing 2FA user by id with sendTwoFactorCode and disables 2FA with that code through disableTwoFactor", async () => {
    const user = await textMessageUser("sms-disable");

    const sent = await client.sendTwoFactorCode({ userId: user.id });
    expect(sent.statusCode).toBe(200);
    expect(sent.response).toBeUndefined();
    const code = await onlyCodeTo(user.phone.e164);

    await expectEmptyRejection(client.disableTwoFactor(user.id, code === "000000" ? "000001" : "000000"), 421);
    expect((await client.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: true });

    const disabled = await client.disableTwoFactor(user.id, code);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.response).toBeUndefined();
    expect((await client.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None" });

    // Without 2FA the Login API answers 200 straight away, and texts nothing.
    const login = await client.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(200);
    expect(login.response!.token).toEqual(expect.any(String));
    expect(await messagesTo(user.phone.e164)).toHaveLength(1);
  });

  it("rejects an unknown twoFactorId with an empty 404 when completing a login and when asking for a text", async () => {
    await expectEmptyRejection(client.twoFactorLogin({ twoFactorId: unknownTwoFactorId(), code: "123456" }), 404);
    await expectEmptyRejection(client.sendTwoFactorCodeForLogin(unknownTwoFactorId()), 404);
  });

  it("reports Twilio refusing a number as a 400 [PushTwoFactorFailed] carrying Twilio's error", async () => {
    const { response: secret } = await client.generateTwoFactorSecret();
    // +15005550001 is Twilio's magic "invalid number" (error 21211).
    const message = await expectGeneralError(client.sendTwoFactorCode({ mobilePhone: "+15005550001", secret: secret!.secret }), 400, "[PushTwoFactorFailed]");
    expect(message).toContain("21211");
  });
});
