// Emailing a two-factor code. The transports (Cloudflare Email Service, SMTP) are not wired yet:
// every email send answers that email is not configured, before anything is reserved or sent.
import { generalFailure } from "../../domain/failures";
import type { TextClient } from "../../domain/sms-guard";
import type { Scope } from "./scope";

export type EmailSettings = never;

export async function requireEmail(_env: Env): Promise<EmailSettings> {
  throw generalFailure("EmailNotConfigured", "Email is not configured.");
}

export type Mail = { email: string; code: string; purpose: string; client: TextClient; lifetimeSeconds: number };

export async function mailCode(_scope: Scope, _settings: EmailSettings, _mail: Mail, release: (withdrawCode: boolean) => Promise<void>): Promise<void> {
  await release(true);
  throw generalFailure("EmailNotConfigured", "Email is not configured.");
}
