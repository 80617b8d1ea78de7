// The User and Integrations APIs driven by the official @fusionauth/typescript-client@1.22.2
// against a real `wrangler dev`, exactly as an application calls them.
import { randomUUID } from "node:crypto";
import { FusionAuthClient } from "@fusionauth/typescript-client";
import { describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT_SID } from "../fake-twilio/fake-twilio.mjs";
import {
  apiClient,
  configureTwilio,
  createTestUser,
  e2e,
  expectEmptyRejection,
  messagesTo,
  newPhone,
  PASSWORD,
  rejection,
  twilioSettings,
  TWILIO_FROM,
  uniqueEmail,
} from "./support";

const client = apiClient();

describe("the User API through the official client", () => {
  it("creates a user under a server-chosen id and returns it without password or two-factor secret", async () => {
    const email = uniqueEmail("create");
    const phone = newPhone();
    const created = await client.createUser(null as unknown as string, { user: { email, password: PASSWORD, mobilePhone: phone.typed } });

    expect(created.statusCode).toBe(200);
    const user = created.response!.user!;
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(user).toMatchObject({ email, mobilePhone: phone.typed, active: true, twoFactorEnabled: false, twoFactorDelivery: "None" });
    expect(user).not.toHaveProperty("password");
    expect(user).not.toHaveProperty("twoFactorSecret");
  });

  it("creates a user under the id the caller chose and retrieves it by that id", async () => {
    const id = randomUUID();
    const email = uniqueEmail("chosen-id");
    const created = await client.createUser(id, { user: { email, password: PASSWORD } });
    expect(created.statusCode).toBe(200);
    expect(created.response!.user!.id).toBe(id);

    const retrieved = await client.retrieveUser(id);
    expect(retrieved.statusCode).toBe(200);
    expect(retrieved.response!.user).toMatchObject({ id, email });
  });

  it("finds a user by email, by username and by either as a login id", async () => {
    const username = `user-${randomUUID().slice(0, 8)}`;
    const { id, email } = await createTestUser("lookup", { username });

    for (const found of [
      await client.retrieveUserByEmail(email),
      await client.retrieveUserByUsername(username),
      await client.retrieveUserByLoginId(email),
      await client.retrieveUserByLoginId(username),
    ]) {
      expect(found.statusCode).toBe(200);
      expect(found.response!.user).toMatchObject({ id, email, username });
    }
    await expectEmptyRejection(client.retrieveUserByEmail(uniqueEmail("nobody")), 404);
  });

  it("replaces a user with updateUser and merges into it with patchUser", async () => {
    const phone = newPhone();
    const { id, email } = await createTestUser("update", { mobilePhone: phone.typed, firstName: "Ada" });

    const replaced = await client.updateUser(id, { user: { email, lastName: "Lovelace", password: "a brand new password" } });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.response!.user).toMatchObject({ id, email, lastName: "Lovelace" });
    // PUT replaces: what the request left out is gone.
    expect(replaced.response!.user).not.toHaveProperty("firstName");
    expect(replaced.response!.user).not.toHaveProperty("mobilePhone");

    const patched = await client.patchUser(id, { user: { firstName: "Augusta", mobilePhone: phone.typed } });
    expect(patched.statusCode).toBe(200);
    expect(patched.response!.user).toMatchObject({ id, email, firstName: "Augusta", lastName: "Lovelace", mobilePhone: phone.typed });

    // The password from updateUser is the one that logs in now.
    await expectEmptyRejection(client.login({ loginId: email, password: PASSWORD }), 404);
    const login = await client.login({ loginId: email, password: "a brand new password" });
    expect(login.statusCode).toBe(200);
    expect(login.response!.user).toMatchObject({ id, firstName: "Augusta", lastName: "Lovelace" });
  });

  it("deletes a user, after which retrieving it or logging in as it rejects with an empty 404", async () => {
    const { id, email } = await createTestUser("delete");

    const deleted = await client.deleteUser(id);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.response).toBeUndefined();

    await expectEmptyRejection(client.retrieveUser(id), 404);
    await expectEmptyRejection(client.retrieveUserByEmail(email), 404);
    await expectEmptyRejection(client.login({ loginId: email, password: PASSWORD }), 404);
  });

  it("rejects a second user with the same email with a FusionAuth Errors body", async () => {
    const { email } = await createTestUser("duplicate");

    const rejected = await rejection(client.createUser(null as unknown as string, { user: { email, password: PASSWORD } }));
    expect(rejected.statusCode).toBe(400);
    expect(rejected.exception).toMatchObject({ fieldErrors: { "user.email": [{ code: "[duplicate]user.email" }] } });
  });

  it("rejects calls with a wrong API key, or none, with an empty 401", async () => {
    const { id, email } = await createTestUser("unauthorized");

    await expectEmptyRejection(new FusionAuthClient("not-the-api-key", e2e.baseUrl).retrieveUser(id), 401);
    await expectEmptyRejection(new FusionAuthClient("not-the-api-key", e2e.baseUrl).generateTwoFactorSecret(), 401);
    // LOGIN_REQUIRES_API_KEY=true: the Login API needs the key too.
    await expectEmptyRejection(new FusionAuthClient(null as unknown as string, e2e.baseUrl).login({ loginId: email, password: PASSWORD }), 401);
  });
});

describe("the Integrations API through the official client", () => {
  it("stores the Twilio settings with updateIntegrations and never returns the auth token", async () => {
    const updated = await client.updateIntegrations({ integrations: { twilio: twilioSettings() } });
    expect(updated.statusCode).toBe(200);
    const { authToken: _token, ...expected } = twilioSettings();
    expect(updated.response!.integrations!.twilio).toEqual(expected);

    const retrieved = await client.retrieveIntegration();
    expect(retrieved.statusCode).toBe(200);
    expect(retrieved.response!.integrations!.twilio).toEqual(expected);
    expect(JSON.stringify(retrieved.response)).not.toContain(twilioSettings().authToken);
  });

  it("merges a patchIntegrations into the stored settings and keeps the auth token, so texts still go out", async () => {
    await configureTwilio();
    try {
      const patched = await client.patchIntegrations({ integrations: { twilio: { fromPhoneNumber: "+15005550007" } } });
      expect(patched.statusCode).toBe(200);
      expect(patched.response!.integrations!.twilio).toEqual({
        enabled: true,
        accountSID: DEFAULT_ACCOUNT_SID,
        fromPhoneNumber: "+15005550007",
        url: e2e.fakeTwilioUrl,
      });

      // The fake checks Basic auth with the token: a text going out proves the patch kept it.
      const phone = newPhone();
      const { response: secret } = await client.generateTwoFactorSecret();
      const sent = await client.sendTwoFactorCode({ mobilePhone: phone.typed, secret: secret!.secret });
      expect(sent.statusCode).toBe(200);
      const messages = await messagesTo(phone.e164);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ from: "+15005550007", to: phone.e164 });
    } finally {
      await configureTwilio();
    }
    expect((await client.retrieveIntegration()).response!.integrations!.twilio!.fromPhoneNumber).toBe(TWILIO_FROM);
  });

  it("refuses to enable Twilio without an account SID or sender, and keeps the working settings", async () => {
    await configureTwilio();
    // A PUT without authToken keeps the stored one (responses never show it, so clients cannot echo it back).
    const rejected = await rejection(client.updateIntegrations({ integrations: { twilio: { enabled: true } } }));
    expect(rejected.statusCode).toBe(400);
    expect(rejected.exception).toMatchObject({
      fieldErrors: {
        "integrations.twilio.accountSID": [{ code: "[blank]integrations.twilio.accountSID" }],
        "integrations.twilio.fromPhoneNumber": [{ code: "[blank]integrations.twilio.fromPhoneNumber" }],
      },
    });
    expect((await client.retrieveIntegration()).response!.integrations!.twilio).toMatchObject({ enabled: true, fromPhoneNumber: TWILIO_FROM });
  });
});
