// The Integrations API, Twilio part (FusionAuth `/api/integration`). The auth token is write-only:
// answers leave it out, and a PUT or PATCH without one keeps the stored token, unless it moves the
// token's destination (`url`, `accountSID`): then the token must come again, or it is dropped, so an
// API key cannot send the stored token to a server of its own.
import { fail, type FieldProblem } from "../domain/failures";
import { DEFAULT_TWILIO_URL, type TwilioIntegration, type TwilioIntegrationInput } from "../domain/integrations";
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
  const moved = (merged.url ?? DEFAULT_TWILIO_URL) !== (stored.url ?? DEFAULT_TWILIO_URL) || merged.accountSID !== stored.accountSID;
  if (moved && !input.authToken) delete merged.authToken;
  requireCompleteWhenEnabled(merged, moved);
  await writeTwilioIntegration(env, merged);
  return withoutToken(merged);
}

function requireCompleteWhenEnabled(twilio: TwilioIntegration, moved: boolean): void {
  if (!twilio.enabled) return;
  const errors: FieldProblem[] = [];
  const blank = (field: string, message: string) => errors.push({ field: `${FIELD}.${field}`, type: "blank", message });
  if (!twilio.accountSID) blank("accountSID", "The account SID is required when the Twilio integration is enabled.");
  if (!twilio.authToken) {
    blank(
      "authToken",
      moved ? "The auth token is required again when [url] or [accountSID] changes." : "The auth token is required when the Twilio integration is enabled.",
    );
  }
  if (!twilio.fromPhoneNumber && !twilio.messagingServiceSid) {
    blank("fromPhoneNumber", "A from phone number or a messaging service SID is required when the Twilio integration is enabled.");
  }
  if (errors.length) throw fail({ kind: "invalid", errors });
}
