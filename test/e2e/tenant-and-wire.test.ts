// A client built with a tenant id (it sends X-FusionAuth-TenantId on every call, anonymous ones
// too), and what the client hides on the wire: empty responses carry no JSON content type (the
// client would reject a 2xx application/json response without a body).
import { TwoFactorDelivery } from "@fusionauth/typescript-client";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apiClient,
  authenticatorCode,
  configureTwilio,
  createTestUser,
  e2e,
  expectEmptyRejection,
  newPhone,
  onlyCodeTo,
  PASSWORD,
  raw,
  rejection,
  uniqueEmail,
  unknownTwoFactorId,
  wrongCode,
} from "./support";

beforeAll(configureTwilio);

describe("a client constructed with a tenant id", () => {
  it("creates, finds, enrols, logs in and deletes a user with every call carrying X-FusionAuth-TenantId", async () => {
    // The tenant the server files its users under, as an application would read it from a user.
    const tenantId = (await createTestUser("tenant-probe")).user.tenantId!;
    expect(tenantId).toMatch(/^[0-9a-f-]{36}$/);
    const client = apiClient(tenantId);
    const phone = newPhone();

    const user = await createTestUser("tenant", { mobilePhone: phone.typed }, client);
    expect(user.user.tenantId).toBe(tenantId);
    expect((await client.retrieveUser(user.id)).response!.user).toMatchObject({ id: user.id, tenantId });
    expect((await client.retrieveUserByEmail(user.email)).response!.user!.id).toBe(user.id);
    expect((await client.retrieveIntegration()).response!.integrations!.twilio).toMatchObject({ enabled: true });

    const { response: secret } = await client.generateTwoFactorSecret();
    const enabled = await client.enableTwoFactor(user.id, {
      code: authenticatorCode(secret!.secretBase32Encoded!),
      secret: secret!.secret,
      delivery: TwoFactorDelivery.None,
    });
    expect(enabled.statusCode).toBe(200);

    const login = await client.login({ loginId: user.email, password: user.password });
    expect(login.statusCode).toBe(242);
    const twoFactorId = login.response!.twoFactorId!;
    // Anonymous calls: no Authorization header, but the tenant header all the same.
    expect((await client.sendTwoFactorCodeForLogin(twoFactorId)).statusCode).toBe(200);
    const code = await onlyCodeTo(phone.e164);
    await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: wrongCode(secret!.secretBase32Encoded!) }), 421);
    const completed = await client.twoFactorLogin({ twoFactorId, code });
    expect(completed.statusCode).toBe(200);
    expect(completed.response!.user).toMatchObject({ id: user.id, tenantId });

    expect((await client.deleteUser(user.id)).statusCode).toBe(200);
    await expectEmptyRejection(client.retrieveUser(user.id), 404);
  });

  it("refuses to create a user when the client's tenant id is not a UUID, as it refuses any malformed id", async () => {
    const client = apiClient("not-a-uuid");
    const email = uniqueEmail("bad-tenant");

    const rejected = await rejection(client.createUser(null as unknown as string, { user: { email, password: PASSWORD } }));
    expect(rejected.statusCode).toBe(400);
    // A FusionAuth Errors body, e.g. {"fieldErrors":{"tenantId":[{"code":"[invalid]tenantId",…}]}}.
    const errors = rejected.exception as { fieldErrors?: object; generalErrors?: object[] } | undefined;
    expect(errors?.fieldErrors ?? errors?.generalErrors).toBeDefined();
    await expectEmptyRejection(apiClient().retrieveUserByEmail(email), 404);
  });
});

describe("empty responses on the wire", () => {
  const apiKey = { Authorization: e2e.apiKey };
  const EMPTY = { contentType: null, body: "" };

  it("answers send, enable, disable and delete with a bare 200: no content type, no body", async () => {
    const phone = newPhone();
    const user = await createTestUser("wire", { mobilePhone: phone.typed });
    const secret = JSON.parse((await raw("GET", "/api/two-factor/secret", { headers: apiKey })).body) as { secret: string; secretBase32Encoded: string };

    const sent = await raw("POST", "/api/two-factor/send", { headers: apiKey, body: { mobilePhone: phone.typed, secret: secret.secret } });
    expect(sent).toMatchObject({ status: 200, ...EMPTY });
    const code = await onlyCodeTo(phone.e164);

    const enabled = await raw("POST", `/api/user/two-factor/${user.id}`, { headers: apiKey, body: { code, secret: secret.secret, delivery: "None" } });
    expect(enabled).toMatchObject({ status: 200, ...EMPTY });

    const nextCode = authenticatorCode(secret.secretBase32Encoded, 1);
    const disabled = await raw("DELETE", `/api/user/two-factor?userId=${user.id}&code=${nextCode}`, { headers: apiKey });
    expect(disabled).toMatchObject({ status: 200, ...EMPTY });

    expect(await raw("DELETE", `/api/user/${user.id}?hardDelete=true`, { headers: apiKey })).toMatchObject({ status: 200, ...EMPTY });
  });

  it("answers 401, 404 and 421 with no content type and no body", async () => {
    const user = await createTestUser("wire-errors");
    const secret = JSON.parse((await raw("GET", "/api/two-factor/secret", { headers: apiKey })).body) as { secret: string; secretBase32Encoded: string };
    const enabled = await raw("POST", `/api/user/two-factor/${user.id}`, {
      headers: apiKey,
      body: { code: authenticatorCode(secret.secretBase32Encoded), secret: secret.secret, delivery: "None" },
    });
    expect(enabled.status).toBe(200);
    const login = await raw("POST", "/api/login", { headers: apiKey, body: { loginId: user.email, password: user.password } });
    expect(login.status).toBe(242);
    expect(login.contentType).toMatch(/^application\/json/);
    const { twoFactorId } = JSON.parse(login.body) as { twoFactorId: string };

    expect(await raw("POST", "/api/two-factor/login", { body: { twoFactorId, code: wrongCode(secret.secretBase32Encoded) } })).toMatchObject({
      status: 421,
      ...EMPTY,
    });
    expect(await raw("POST", `/api/two-factor/send/${unknownTwoFactorId()}`, { headers: { "Content-Type": "text/plain" } })).toMatchObject({
      status: 404,
      ...EMPTY,
    });
    expect(await raw("GET", `/api/user/${user.id}`, { headers: { Authorization: "not-the-api-key" } })).toMatchObject({ status: 401, ...EMPTY });
  });

  it("answers every JSON body with an application/json content type", async () => {
    const status = await raw("GET", "/api/status");
    expect(status).toMatchObject({ status: 200, contentType: expect.stringMatching(/^application\/json/) });
    const errors = await raw("POST", "/api/user", { headers: apiKey, body: { user: { email: "not-an-email" } } });
    expect(errors.status).toBe(400);
    expect(errors.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(errors.body)).toHaveProperty("fieldErrors");
  });
});
