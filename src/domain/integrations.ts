// The Twilio integration (FusionAuth Integrations API, `integrations.twilio`) and what sending a
// text needs from it.

/** What a text is sent with (src/sms/twilio.ts). */
export type TwilioSettings = {
  accountSID: string;
  authToken: string;
  fromPhoneNumber?: string;
  messagingServiceSid?: string;
  url: string;
};

/** The integration as an operator sets it; the auth token is write-only. */
export type TwilioIntegration = { enabled: boolean } & Partial<TwilioSettings>;

/** A PUT or PATCH body's `integrations.twilio`: `null` clears a field, `undefined` leaves it. */
export type TwilioIntegrationInput = { [K in keyof TwilioIntegration]?: TwilioIntegration[K] | null };

export const DEFAULT_TWILIO_URL = "https://api.twilio.com";

// The email integration (`integrations.email`): its fields mirror FusionAuth's tenant
// `emailConfiguration` (host, port, security, username, password, defaultFromEmail,
// defaultFromName), plus `enabled` and the transport: Cloudflare Email Service's `send_email`
// binding, or the operator's SMTP server.

export const EMAIL_TRANSPORTS = ["cloudflare", "smtp"] as const;
export type EmailTransport = (typeof EMAIL_TRANSPORTS)[number];

/** FusionAuth's `security`: NONE (plain), SSL (TLS from the first byte), TLS (STARTTLS). */
export const EMAIL_SECURITIES = ["NONE", "SSL", "TLS"] as const;
export type EmailSecurity = (typeof EMAIL_SECURITIES)[number];

/** Workers cannot open connections to port 25 (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/). */
export const REFUSED_SMTP_PORT = 25;

/** The integration as an operator sets it; the password is write-only. */
export type EmailIntegration = {
  enabled: boolean;
  transport?: EmailTransport;
  host?: string;
  port?: number;
  security?: EmailSecurity;
  username?: string;
  password?: string;
  defaultFromEmail?: string;
  defaultFromName?: string;
};

/** A PUT or PATCH body's `integrations.email`: `null` clears a field, `undefined` leaves it. */
export type EmailIntegrationInput = { [K in keyof EmailIntegration]?: EmailIntegration[K] | null };

export type EmailSender = { email: string; name?: string };

/** What an email is sent with (src/email/). */
export type EmailSettings =
  | { transport: "cloudflare"; from: EmailSender }
  | { transport: "smtp"; from: EmailSender; host: string; port: number; security: EmailSecurity; username?: string; password?: string };

/** The transport an integration names, else SMTP when it names a host (a FusionAuth `emailConfiguration` as it is), else the binding. */
export const emailTransportOf = (email: EmailIntegration): EmailTransport => email.transport ?? (email.host ? "smtp" : "cloudflare");

/**
 * Security when none is set: TLS from the first byte, which RFC 8314 §3 prefers for submission.
 * STARTTLS ("TLS") is only as strong as the server's offer of it: the SMTP library goes on without
 * TLS when the server's EHLO answer does not list STARTTLS, which an attacker on the path can strip.
 */
const DEFAULT_EMAIL_SECURITY: EmailSecurity = "SSL";

export const securityOf = (email: EmailIntegration): EmailSecurity => email.security ?? DEFAULT_EMAIL_SECURITY;

/** The port of an SMTP integration: its own, else 465 for SSL (RFC 8314 §3.3), else 587 (submission, RFC 6409). */
export const smtpPortOf = (email: EmailIntegration): number => email.port ?? (securityOf(email) === "SSL" ? 465 : 587);
