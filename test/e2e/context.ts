// What global-setup.ts hands to the end-to-end tests through vitest's provide/inject.
import type { SmtpFixture } from "../email/smtp-servers";

export type E2eContext = {
  /** The `wrangler dev` server, e.g. http://127.0.0.1:43121 (no trailing slash). */
  baseUrl: string;
  /** The only key in the server's API_KEYS. */
  apiKey: string;
  /** The only key in the server's EXPORT_KEYS. */
  exportKey: string;
  /** The server's JWT_SIGNING_KEY, so tests can check that tokens are signed with it. */
  jwtSigningKey: string;
  /** The fake Twilio server (GET /_fake/messages lists what it received). */
  fakeTwilioUrl: string;
  /** The SMTP servers on 127.0.0.1 (test/email/smtp-servers.ts). */
  smtp: SmtpFixture;
};

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2eContext;
  }
}
