// The email integration that points at one of the SMTP servers of ./smtp-servers.ts, and what the
// accepting one received: plain data and fetch, for the suites inside workerd and the e2e suite alike
// (smtp-servers.ts itself is Node code that workerd cannot load).
import type { ReceivedEmail, SmtpFixture } from "./smtp-servers";

/** `integrations.email` sending through the server on `port`, logging in as the accepting server expects. */
export const smtpIntegration = (smtp: SmtpFixture, port: number, overrides: Record<string, unknown> = {}) => ({
  enabled: true,
  transport: "smtp",
  host: "127.0.0.1",
  port,
  security: "NONE",
  username: smtp.username,
  password: smtp.password,
  defaultFromEmail: "two-factor@example.com",
  defaultFromName: "Example Sign-in",
  ...overrides,
});

/** What the accepting server received for `to`, oldest first. */
export async function receivedBy(smtp: SmtpFixture, to: string): Promise<ReceivedEmail[]> {
  return (await (await fetch(`${smtp.inbox}/messages?to=${encodeURIComponent(to)}`)).json()) as ReceivedEmail[];
}
