// GET /api/email/outbox: the local outbox of `npm start` (EMAIL_LOCAL_OUTBOX), where a developer
// reads an emailed code. The workers project turns the var on (vitest.config.ts).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/domain/config";
import { codeEmail } from "../../src/email/message";
import { sendEmail } from "../../src/email/send";
import { call, emptyResponse, jsonBody, uniqueEmail } from "../helpers";

type Outbox = { messages: Array<{ to: string; subject: string; text: string; html: string; sentAt: number }> };

async function sendCode(to: string, code: string): Promise<void> {
  const message = codeEmail(parseConfig({ EMAIL_APPLICATION_NAME: "Example" }).email.message, { code, lifetimeSeconds: 60 });
  expect(await sendEmail(env, { transport: "cloudflare", from: { email: "two-factor@example.com" } }, { to, ...message })).toMatchObject({ ok: true });
}

describe("GET /api/email/outbox", () => {
  it("lists what the binding sent, oldest first, and only the messages to ?to= (without case)", async () => {
    const [first, second] = [uniqueEmail("outbox"), uniqueEmail("outbox")];
    const before = Date.now();
    await sendCode(first, "111111");
    await sendCode(second, "222222");
    await sendCode(first, "333333");

    const all = await jsonBody<Outbox>(await call("GET", "/api/email/outbox"));
    expect(all.messages.slice(-3).map((message) => message.to)).toEqual([first, second, first]);

    const response = await call("GET", `/api/email/outbox?to=${encodeURIComponent(first.toUpperCase())}`);
    expect(response.status).toBe(200);
    const { messages } = await jsonBody<Outbox>(response);
    expect(messages.map((message) => message.subject)).toEqual(["111111 is your Example verification code", "333333 is your Example verification code"]);
    expect(messages[1]).toEqual({
      to: first,
      subject: expect.any(String),
      text: expect.stringContaining("333333"),
      html: expect.stringContaining("333333"),
      sentAt: expect.any(Number),
    });
    expect(messages[1]!.sentAt).toBeGreaterThanOrEqual(before);
  });

  it('is 404 unless EMAIL_LOCAL_OUTBOX is "true", as when deployed', async () => {
    for (const value of ["false", "", "TRUE"]) {
      expect(await emptyResponse(await call("GET", "/api/email/outbox", { vars: { EMAIL_LOCAL_OUTBOX: value } }))).toEqual({
        status: 404,
        contentType: null,
        body: "",
      });
    }
  });

  it("needs the API key", async () => {
    expect((await call("GET", "/api/email/outbox", { apiKey: null })).status).toBe(401);
  });

  it("refuses an empty ?to= as [blank]to", async () => {
    const response = await call("GET", "/api/email/outbox?to=");
    expect(response.status).toBe(400);
    expect(JSON.stringify(await jsonBody(response))).toContain("[blank]to");
  });
});
