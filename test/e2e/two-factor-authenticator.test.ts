// Authenticator-app two-factor (delivery None), secrets and JWTs, driven by the official client
// against a real `wrangler dev`. Codes come from otplib, not from the server's TOTP code.
// The server refuses a code whose 30 s time step was already used by that user (RFC 6238 §5.2);
// enabling uses up the current step, so the next success needs the NEXT step's code.
import { FusionAuthClient, TwoFactorDelivery } from "@fusionauth/typescript-client";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apiClient,
  authenticatorCode,
  base32,
  configureTwilio,
  createTestUser,
  e2e,
  expectEmptyRejection,
  messagesTo,
  newPhone,
  onlyCodeTo,
  raw,
  verifiedClaims,
  wrongCode,
} from "./support";

const client = apiClient();

beforeAll(configureTwilio);

/** Enables authenticator 2FA for the user with the current otplib code; returns the secret. */
async function enableAuthenticator(userId: string) {
  const { response } = await client.generateTwoFactorSecret();
  const secret = response!.secret!;
  const secretBase32Encoded = response!.secretBase32Encoded!;
  const code = authenticatorCode(secretBase32Encoded);
  const enabled = await client.enableTwoFactor(userId, { code, secret, delivery: TwoFactorDelivery.None });
  expect(enabled.statusCode).toBe(200);
  expect(enabled.response).toBeUndefined();
  return { secret, secretBase32Encoded, enableCode: code };
}

describe("secrets and JWTs through the official client", () => {
  it("generates a FusionAuth-shaped secret whose Base32 form encodes the Base64-decoded secret", async () => {
    const generated = await client.generateTwoFactorSecret();
    expect(generated.statusCode).toBe(200);
    const { secret, secretBase32Encoded } = generated.response!;
    expect(Object.keys(generated.response!).sort()).toEqual(["secret", "secretBase32Encoded"]);
    expect(secret).toMatch(/^[A-Za-z0-9+/]{20}$/);
    expect(secretBase32Encoded).toBe(base32(Buffer.from(secret!, "base64")));
    expect(secretBase32Encoded).toMatch(/^[A-Z2-7]{24}$/);
  });

  it("logs in without 2FA and answers generateTwoFactorSecretUsingJWT for the token's user", async () => {
    const user = await createTestUser("jwt");
    const login = await client.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(200);
    const token = login.response!.token!;
    // Signed with the JWT_SIGNING_KEY passed to `wrangler dev` on the command line, '=' and all.
    expect(verifiedClaims(token, e2e.jwtSigningKey)).toMatchObject({ sub: user.id, email: user.email });

    // The JWT call sends only `Authorization: Bearer <token>`, no API key.
    const generated = await new FusionAuthClient(null as unknown as string, e2e.baseUrl).generateTwoFactorSecretUsingJWT(token);
    expect(generated.statusCode).toBe(200);
    expect(generated.response).toEqual({ secret: expect.stringMatching(/^[A-Za-z0-9+/]{20}$/), secretBase32Encoded: expect.stringMatching(/^[A-Z2-7]{24}$/) });

    await expectEmptyRejection(client.generateTwoFactorSecretUsingJWT(`${token}x`), 401);
  });

  it("accepts the `Authorization: JWT <token>` scheme that client 1.19.0 sent", async () => {
    const user = await createTestUser("legacy-jwt");
    const token = (await client.login({ loginId: user.email, password: user.password })).response!.token!;

    const answer = await raw("GET", "/api/two-factor/secret", { headers: { Authorization: `JWT ${token}` } });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({ secret: expect.any(String), secretBase32Encoded: expect.any(String) });

    expect(await raw("GET", "/api/two-factor/secret", { headers: { Authorization: `JWT ${token}x` } })).toMatchObject({ status: 401, body: "" });
  });
});

describe("authenticator two-factor through the official client", () => {
  // @fusionauth/typescript-client before 1.19 declared `enum TwoFactorDelivery { None, TextMessage }`
  // and so sent the numbers; FusionAuth read them as the names. Simulated with this client.
  it("accepts the numeric deliveries of clients before 1.19 in enableTwoFactor and createUser, answering the names", async () => {
    const user = await createTestUser("numeric-delivery");
    const { response } = await client.generateTwoFactorSecret();
    const code = authenticatorCode(response!.secretBase32Encoded!);
    const enabled = await client.enableTwoFactor(user.id, { code, secret: response!.secret!, delivery: 0 as unknown as TwoFactorDelivery });
    expect(enabled.statusCode).toBe(200);
    expect((await client.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });

    const phone = newPhone();
    const texting = await createTestUser("numeric-delivery-sms", {
      mobilePhone: phone.typed,
      twoFactorEnabled: true,
      twoFactorDelivery: 1 as unknown as TwoFactorDelivery,
    });
    expect(texting.user.twoFactorDelivery).toBe("TextMessage");
    expect((await client.retrieveUserByEmail(texting.email)).response!.user!.twoFactorDelivery).toBe("TextMessage");
  });

  it("enables 2FA with an otplib code, completes a 242 login with trustComputer, then logs in directly with the trust id", async () => {
    const user = await createTestUser("authenticator");
    const { secretBase32Encoded, enableCode } = await enableAuthenticator(user.id);
    expect((await client.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });

    const login = await client.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(242);
    const twoFactorId = login.response!.twoFactorId!;
    expect(login.response!.token).toBeUndefined();

    await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: wrongCode(secretBase32Encoded) }), 421);
    // The code that enabled 2FA is used up (its time step was accepted once already).
    await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: enableCode }), 421);

    const completed = await client.twoFactorLogin({ twoFactorId, code: authenticatorCode(secretBase32Encoded, 1), trustComputer: true });
    expect(completed.statusCode).toBe(200);
    expect(completed.response).toMatchObject({ token: expect.any(String), user: { id: user.id, twoFactorEnabled: true } });
    const twoFactorTrustId = completed.response!.twoFactorTrustId!;
    expect(twoFactorTrustId).toEqual(expect.any(String));
    expect(verifiedClaims(completed.response!.token!, e2e.jwtSigningKey)).toMatchObject({ sub: user.id });

    const trusted = await client.login({ loginId: user.email, password: user.password, twoFactorTrustId });
    expect(trusted.statusCode).toBe(200);
    expect(trusted.response).toMatchObject({ token: expect.any(String), user: { id: user.id } });
    expect(trusted.response!.twoFactorId).toBeUndefined();

    // Without the trust id the second factor is still asked for; a made-up one does not help.
    expect((await client.login({ loginId: user.email, password: user.password })).statusCode).toBe(242);
    expect((await client.login({ loginId: user.email, password: user.password, twoFactorTrustId: `${twoFactorTrustId}x` })).statusCode).toBe(242);
  });

  it("texts a code on request during the login of an authenticator user with a phone (sendTwoFactorCodeForLogin)", async () => {
    const phone = newPhone();
    const user = await createTestUser("authenticator-sms", { mobilePhone: phone.typed });
    await enableAuthenticator(user.id);

    const login = await client.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(242);
    // Delivery None: the login itself texts nothing.
    expect(await messagesTo(phone.e164)).toHaveLength(0);

    // The client sends this one without authentication, as text/plain with no body.
    const sent = await client.sendTwoFactorCodeForLogin(login.response!.twoFactorId!);
    expect(sent.statusCode).toBe(200);
    expect(sent.response).toBeUndefined();
    const code = await onlyCodeTo(phone.e164);

    const completed = await client.twoFactorLogin({ twoFactorId: login.response!.twoFactorId!, code });
    expect(completed.statusCode).toBe(200);
    expect(completed.response).toMatchObject({ token: expect.any(String), user: { id: user.id } });
  });

  it("disables authenticator 2FA with disableTwoFactor and a fresh code, after refusing a wrong one with 421", async () => {
    const user = await createTestUser("authenticator-disable");
    const { secretBase32Encoded } = await enableAuthenticator(user.id);

    await expectEmptyRejection(client.disableTwoFactor(user.id, wrongCode(secretBase32Encoded)), 421);
    const disabled = await client.disableTwoFactor(user.id, authenticatorCode(secretBase32Encoded, 1));
    expect(disabled.statusCode).toBe(200);
    expect(disabled.response).toBeUndefined();

    expect((await client.retrieveUser(user.id)).response!.user).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None" });
    expect((await client.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);
  });
});
