// The Twilio integration (FusionAuth Integrations API, `integrations.twilio`) in KV, with the auth
// token AES-GCM encrypted. When no enabled integration is stored, the Worker vars/secrets TWILIO_*
// are the fallback. Texts use the settings this isolate read at most TWILIO_SETTINGS_CACHE_MS ago,
// so that a text costs no KV read; the Integrations API always reads and writes KV itself.
import { openText, sealText } from "../crypto/keyring";
import { DEFAULT_TWILIO_URL, type TwilioIntegration, type TwilioSettings } from "../domain/integrations";
import { IsolateCopy } from "./isolate-copy";

type StoredIntegrations = { twilio: Omit<TwilioIntegration, "authToken"> & { authToken?: string /* ciphertext */ } };

const KEY = "v1:integrations";
const TOKEN_CONTEXT = "integrations.twilio.authToken";

/** How long an isolate texts with the settings it read last: a change made through another isolate reaches it within this (plus KV's propagation). */
export const TWILIO_SETTINGS_CACHE_MS = 5_000;

const recent = new IsolateCopy<TwilioIntegration>(TWILIO_SETTINGS_CACHE_MS);

/** The stored integration with its token decrypted, or a disabled one when nothing is stored; refreshes this isolate's copy. */
export async function readTwilioIntegration(env: Env): Promise<TwilioIntegration> {
  return recent.keep(await readStored(env));
}

async function readStored(env: Env): Promise<TwilioIntegration> {
  const stored = await env.KV.get<StoredIntegrations>(KEY, "json");
  if (!stored) return { enabled: false };
  const { authToken, ...rest } = stored.twilio;
  if (!authToken) return rest;
  return { ...rest, authToken: await openText(env.ENCRYPTION_KEY, TOKEN_CONTEXT, authToken) };
}

export async function writeTwilioIntegration(env: Env, twilio: TwilioIntegration): Promise<void> {
  const { authToken, ...rest } = twilio;
  const sealed = authToken ? await sealText(env.ENCRYPTION_KEY, TOKEN_CONTEXT, authToken) : undefined;
  await env.KV.put(KEY, JSON.stringify({ twilio: { ...rest, authToken: sealed } } satisfies StoredIntegrations));
  recent.keep(twilio);
}

/** What SMS sending uses: the enabled stored integration, else the TWILIO_* settings, else null. */
export async function twilioConfig(env: Env): Promise<TwilioSettings | null> {
  // The integration as this isolate last read or wrote it, when that was under TWILIO_SETTINGS_CACHE_MS ago.
  const stored = recent.fresh() ?? (await readTwilioIntegration(env));
  const source = stored.enabled
    ? stored
    : {
        accountSID: env.TWILIO_ACCOUNT_SID,
        authToken: env.TWILIO_AUTH_TOKEN,
        fromPhoneNumber: env.TWILIO_FROM_NUMBER,
        messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
        url: env.TWILIO_URL,
      };
  if (!source.accountSID || !source.authToken || !(source.fromPhoneNumber || source.messagingServiceSid)) return null;
  return {
    accountSID: source.accountSID,
    authToken: source.authToken,
    fromPhoneNumber: source.fromPhoneNumber || undefined,
    messagingServiceSid: source.messagingServiceSid || undefined,
    url: source.url || DEFAULT_TWILIO_URL,
  };
}
