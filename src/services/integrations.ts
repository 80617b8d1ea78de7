// The Integrations API (FusionAuth `/api/integration`): Twilio and email. Secrets are write-only:
// answers leave out the Twilio auth token and the SMTP password, and a PUT or PATCH without one
// keeps the stored secret, unless it moves the secret's destination (Twilio: `url`, `accountSID`;
// SMTP: `host`, `port`, `security`, `username`): then it must come again, or it is dropped, so an
// API key cannot send a stored secret to a server of its own, nor over a weaker connection.
import { fail, type FieldProblem } from "../domain/failures";
import {
  DEFAULT_TWILIO_URL,
  emailTransportOf,
  securityOf,
  smtpPortOf,
  type EmailIntegration,
  type EmailIntegrationInput,
  type TwilioIntegration,
  type TwilioIntegrationInput,
} from "../domain/integrations";
import { readIntegrations, writeIntegrations, type Integrations } from "../kv/integrations";
import type { Scope } from "./shared/scope";

export type PublicIntegrations = { twilio: Omit<TwilioIntegration, "authToken">; email: Omit<EmailIntegration, "password"> };

/** A PUT or PATCH body's `integrations`. */
export type IntegrationsInput = { twilio?: TwilioIntegrationInput | null; email?: EmailIntegrationInput | null };

const TWILIO = "integrations.twilio";
const EMAIL = "integrations.email";

const withoutSecrets = ({ twilio: { authToken: _token, ...twilio }, email: { password: _password, ...email } }: Integrations): PublicIntegrations => ({
  twilio,
  email,
});

export async function getIntegrations({ env }: Scope): Promise<PublicIntegrations> {
  return withoutSecrets(await readIntegrations(env));
}

/**
 * Saves the members of `input` over the stored integrations, all or nothing: `replace` (PUT)
 * starts a member from nothing but its secret, else (PATCH) from what is stored. A member left out
 * is kept as stored, except that a body with neither member changes Twilio as an empty `twilio`
 * did before there was an email member (a PUT of `{"integrations":{}}` disables it).
 */
export async function saveIntegrations({ env }: Scope, input: IntegrationsInput, replace: boolean): Promise<PublicIntegrations> {
  const stored = await readIntegrations(env);
  const errors: FieldProblem[] = [];
  const twilioInput = input.twilio ?? (input.email ? undefined : {});
  const twilio = twilioInput ? saveTwilio(stored.twilio, twilioInput, replace, errors) : stored.twilio;
  const email = input.email ? saveEmail(stored.email, input.email, replace, errors) : stored.email;
  if (errors.length) throw fail({ kind: "invalid", errors });
  const saved = { twilio, email };
  await writeIntegrations(env, saved);
  return withoutSecrets(saved);
}

/** `input` over `base`: `null` deletes a field, `undefined` leaves it; `enabled` is false unless set. */
function merged<T extends { enabled: boolean }>(base: T, input: { [K in keyof T]?: T[K] | null }): T {
  const result: T = { ...base };
  for (const [field, value] of Object.entries(input)) {
    if (value === null) delete result[field as keyof T];
    else if (value !== undefined) Object.assign(result, { [field]: value });
  }
  result.enabled = result.enabled ?? false;
  return result;
}

const blank = (errors: FieldProblem[], field: string, message: string) => errors.push({ field, type: "blank", message });

function saveTwilio(stored: TwilioIntegration, input: TwilioIntegrationInput, replace: boolean, errors: FieldProblem[]): TwilioIntegration {
  const twilio = merged(replace ? { enabled: false, authToken: stored.authToken } : stored, input);
  const moved = (twilio.url ?? DEFAULT_TWILIO_URL) !== (stored.url ?? DEFAULT_TWILIO_URL) || twilio.accountSID !== stored.accountSID;
  if (moved && !input.authToken) delete twilio.authToken;
  if (!twilio.enabled) return twilio;
  if (!twilio.accountSID) blank(errors, `${TWILIO}.accountSID`, "The account SID is required when the Twilio integration is enabled.");
  if (!twilio.authToken) {
    blank(
      errors,
      `${TWILIO}.authToken`,
      moved ? "The auth token is required again when [url] or [accountSID] changes." : "The auth token is required when the Twilio integration is enabled.",
    );
  }
  if (!twilio.fromPhoneNumber && !twilio.messagingServiceSid) {
    blank(errors, `${TWILIO}.fromPhoneNumber`, "A from phone number or a messaging service SID is required when the Twilio integration is enabled.");
  }
  return twilio;
}

function saveEmail(stored: EmailIntegration, input: EmailIntegrationInput, replace: boolean, errors: FieldProblem[]): EmailIntegration {
  const email = merged(replace ? { enabled: false, password: stored.password } : stored, input);
  const moved =
    email.host !== stored.host || smtpPortOf(email) !== smtpPortOf(stored) || securityOf(email) !== securityOf(stored) || email.username !== stored.username;
  const dropped = moved && !input.password && email.password !== undefined;
  if (moved && !input.password) delete email.password;
  if (!email.enabled) return email;
  if (!email.defaultFromEmail) blank(errors, `${EMAIL}.defaultFromEmail`, "The default from email is required when the email integration is enabled.");
  if (emailTransportOf(email) === "smtp") {
    if (!email.host) blank(errors, `${EMAIL}.host`, "The host is required when the email integration sends through SMTP.");
    if (dropped && email.username) {
      blank(errors, `${EMAIL}.password`, "The password is required again when [host], [port], [security] or [username] changes.");
    }
  }
  return email;
}
