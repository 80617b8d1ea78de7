// The Integrations API, Twilio part (FusionAuth `/api/integration`). The auth token is write-only:
// answers leave it out, and a PUT or PATCH without one keeps the stored token.
import { fail, type FieldProblem } from "../domain/failures";
import type { TwilioIntegration, TwilioIntegrationInput } from "../domain/integrations";
import { readTwilioIntegration, writeTwilioIntegration } from "../kv/integrations";
import type { Scope } from "./shared/scope";

export type PublicTwilioIntegration = Omit<TwilioIntegration, "authToken">;

const FIELD = "integrations.twilio";

const withoutToken = ({ authToken: _token, ...twilio }: TwilioIntegration): PublicTwilioIntegration => twilio;

export async function getTwilioIntegration({ env }: Scope): Promise<PublicTwilioIntegration> {
  return withoutToken(await readTwilioIntegration(env));
}

/** Saves `input` over the stored integration: `replace` (PUT) starts from nothing but the token, else (PATCH) from what is stored. */
export async function saveTwilioIntegration({ env }: Scope, input: TwilioIntegrationInput, replace: boolean): Promise<PublicTwilioIntegration> {
  const stored = await readTwilioIntegration(env);
  const merged: TwilioIntegration = replace ? { enabled: false, authToken: stored.authToken } : { ...stored };
  for (const [field, value] of Object.entries(input)) {
    if (value === null) delete merged[field as keyof TwilioIntegration];
    else if (value !== undefined) Object.assign(merged, { [field]: value });
  }
  merged.enabled = merged.enabled ?? false;
  requireCompleteWhenEnabled(merged);
  await writeTwilioIntegration(env, merged);
  return withoutToken(merged);
}

function requireCompleteWhenEnabled(twilio: TwilioIntegration): void {
  if (!twilio.enabled) return;
  const errors: FieldProblem[] = [];
  const blank = (field: string, message: string) => errors.push({ field: `${FIELD}.${field}`, type: "blank", message });
  if (!twilio.accountSID) blank("accountSID", "The account SID is required when the Twilio integration is enabled.");
  if (!twilio.authToken) blank("authToken", "The auth token is required when the Twilio integration is enabled.");
  if (!twilio.fromPhoneNumber && !twilio.messagingServiceSid) {
    blank("fromPhoneNumber", "A from phone number or a messaging service SID is required when the Twilio integration is enabled.");
  }
  if (errors.length) throw fail({ kind: "invalid", errors });
}
