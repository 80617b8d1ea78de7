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
