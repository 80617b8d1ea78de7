// The email method through the official clients (1.45.0 and today's 1.69.0) against a real `wrangler
// dev`: enrol an address, log in with an emailed code, disable the method. First through the Cloudflare
// Email Service binding as `wrangler dev` simulates it (codes read from the local outbox), then through
// the operator's SMTP server (smtp-server on 127.0.0.1, codes read from what it received), with the
// servers that refuse the login, are down, or are slower than the transport's bound.
import { afterAll, describe, expect, it } from "vitest";
import { receivedBy, smtpIntegration } from "../email/smtp-integration";
import {
  createTestUser,
  currentClient,
  e2e,
  expectEmptyRejection,
  expectFieldError,
  expectGeneralError,
  methodsOf,
  multiFactorClients,
  pendingLogin,
  raw,
  uniqueEmail,
  type MultiFactorClient,
} from "./support";

const CODE = /\b(\d{6})\b/;

/** The code in the newest email the local outbox holds for `to`, once there are `count` of them. */
async function codeFromOutbox(to: string, count: number): Promise<string> {
  const listed = await raw("GET", `/api/email/outbox?to=${encodeURIComponent(to)}`, { headers: { Authorization: e2e.apiKey } });
  expect(listed.status).toBe(200);
  const { messages } = JSON.parse(listed.body) as { messages: Array<{ subject: string; text: string; html: string }> };
  expect(messages).toHaveLength(count);
  const newest = messages.at(-1)!;
  const code = CODE.exec(newest.text)![1]!;
  expect(newest.subject).toContain(code);
  expect(newest.html).toContain(code);
  return code;
}

/** The code in the newest email the accepting SMTP server received for `to`, once there are `count`. */
async function codeFromSmtp(to: string, count: number): Promise<string> {
  const received = await receivedBy(e2e.smtp, to);
  expect(received).toHaveLength(count);
  return CODE.exec(received.at(-1)!.text)![1]!;
}

type ReadCode = (to: string, count: number) => Promise<string>;

/** Enrols an email method, logs in with an emailed code, and disables the method, all through `client`. */
async function emailFlow(client: MultiFactorClient, label: string, codeTo: ReadCode) {
  const user = await createTestUser(label);
  const address = uniqueEmail(`${label}-code`);

  expect((await client.sendTwoFactorCodeForEnableDisable({ userId: user.id, method: "email", email: address })).statusCode).toBe(200);
  const enableCode = await codeTo(address, 1);
  await expectFieldError(
    client.enableTwoFactor(user.id, { method: "email", email: uniqueEmail("elsewhere"), code: enableCode }),
    400,
    "email",
    "[mismatch]email",
  );
  const enabled = await client.enableTwoFactor(user.id, { method: "email", email: address, code: enableCode });
  expect(enabled.statusCode).toBe(200);
  expect(enabled.response!.recoveryCodes).toHaveLength(10);
  const [method] = await methodsOf(client, user.id);
  expect(method).toEqual({ id: expect.stringMatching(/^[A-Z0-9]{4}$/), method: "email", email: address });

  const login = await client.login({ loginId: user.email, password: user.password });
  expect(login.statusCode).toBe(242);
  expect(login.response!.methods).toEqual([method]);
  const twoFactorId = login.response!.twoFactorId!;
  expect((await client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId: method!.id })).statusCode).toBe(200);
  const loginCode = await codeTo(address, 2);
  const completed = await client.twoFactorLogin({ twoFactorId, code: loginCode });
  expect(completed.statusCode).toBe(200);
  expect(completed.response!.user!.twoFactor!.methods![0]).toMatchObject({ id: method!.id, lastUsed: true });
  await expectEmptyRejection(client.twoFactorLogin({ twoFactorId, code: loginCode }), 404);

  expect((await client.sendTwoFactorCodeForEnableDisable({ userId: user.id, methodId: method!.id })).statusCode).toBe(200);
  const disableCode = await codeTo(address, 3);
  expect((await client.disableTwoFactor(user.id, method!.id!, disableCode)).statusCode).toBe(200);
  expect(await methodsOf(client, user.id)).toEqual([]);
  expect((await client.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);
}

describe.each(multiFactorClients)("email codes through the Cloudflare Email Service binding, with the $version client", ({ create }) => {
  it("enrols an address, logs in with an emailed code and disables the method", async () => {
    await emailFlow(create(), "email-binding", codeFromOutbox);
  });
});

describe("email codes through the operator's SMTP server, with the 1.69.0 client", () => {
  const { smtp } = e2e;
  const client = currentClient();

  const useSmtp = async (port: number) => {
    const email = smtpIntegration(smtp, port);
    const saved = await raw("PATCH", "/api/integration", { headers: { Authorization: e2e.apiKey }, body: { integrations: { email } } });
    expect(saved.status).toBe(200);
    expect(saved.body).not.toContain(smtp.password);
  };

  afterAll(async () => {
    const reset = await raw("PATCH", "/api/integration", { headers: { Authorization: e2e.apiKey }, body: { integrations: { email: { enabled: false } } } });
    expect(reset.status).toBe(200);
  });

  it("enrols an address, logs in with an emailed code and disables the method", async () => {
    await useSmtp(smtp.accepting);
    await emailFlow(client, "email-smtp", codeFromSmtp);
  });

  it.each([
    ["refuses the login", () => smtp.refusingLogin, 502],
    ["is down", () => smtp.down, 503],
    ["is slower than 10 s", () => smtp.slow, 504],
  ])("answers [EmailTwoFactorFailed] when the server %s, naming no address", async (_case, port, status) => {
    await useSmtp(port());
    const user = await createTestUser("email-smtp-failure");
    const address = uniqueEmail("email-smtp-failure-code");
    const message = await expectGeneralError(
      client.sendTwoFactorCodeForEnableDisable({ userId: user.id, method: "email", email: address }),
      status,
      "[EmailTwoFactorFailed]",
    );
    expect(message).not.toContain(address.split("@")[0]);
    expect(message).not.toContain(smtp.password);
  });

  it("keeps a login's 242 when the email fails, and the next send works once the server is back", async () => {
    await useSmtp(smtp.accepting);
    const user = await createTestUser("email-smtp-recover");
    const address = uniqueEmail("email-smtp-recover-code");
    expect((await client.sendTwoFactorCodeForEnableDisable({ userId: user.id, method: "email", email: address })).statusCode).toBe(200);
    expect((await client.enableTwoFactor(user.id, { method: "email", email: address, code: await codeFromSmtp(address, 1) })).statusCode).toBe(200);
    const [method] = await methodsOf(client, user.id);

    await useSmtp(smtp.down);
    const twoFactorId = await pendingLogin(user, client);
    await expectGeneralError(client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId: method!.id }), 503, "[EmailTwoFactorFailed]");
    await useSmtp(smtp.accepting);
    expect((await client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId: method!.id })).statusCode).toBe(200);
    expect((await client.twoFactorLogin({ twoFactorId, code: await codeFromSmtp(address, 2) })).statusCode).toBe(200);
  });
});
