// The Integrations API, Twilio part (FusionAuth `/api/integration`). The auth token is write-only: responses leave it
// out, and a PUT or PATCH without one keeps the stored token.
import { Hono, type Context } from "hono";
import { fail, type FieldProblem } from "../domain/failures";
import { readTwilioIntegration, writeTwilioIntegration, type TwilioIntegration } from "../services/integrations";
import { requireApiKey } from "./http/auth";
import type { AppEnv } from "./http/context";
import { integrationRequest } from "./http/requests";
import { readJson } from "./http/validate";

const FIELD = "integrations.twilio";

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

function withoutToken({ authToken: _token, ...twilio }: TwilioIntegration) {
  return { integrations: { twilio } };
}

async function save(c: Context<AppEnv>, replace: boolean): Promise<Response> {
  const input = (await readJson(c, integrationRequest)).integrations.twilio ?? {};
  const stored = await readTwilioIntegration(c.env);
  const merged: TwilioIntegration = replace ? { enabled: false, authToken: stored.authToken } : { ...stored };
  for (const [field, value] of Object.entries(input)) {
    if (value === null) delete merged[field as keyof TwilioIntegration];
    else if (value !== undefined) Object.assign(merged, { [field]: value });
  }
  merged.enabled = merged.enabled ?? false;
  requireCompleteWhenEnabled(merged);
  await writeTwilioIntegration(c.env, merged);
  return c.json(withoutToken(merged));
}

export const integrationRoutes = new Hono<AppEnv>()
  .get("/integration", requireApiKey, async (c) => c.json(withoutToken(await readTwilioIntegration(c.env))))
  .put("/integration", requireApiKey, (c) => save(c, true))
  .patch("/integration", requireApiKey, (c) => save(c, false));
