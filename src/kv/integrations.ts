// The integrations (FusionAuth Integrations API: `integrations.twilio`, `integrations.email`) in one
// KV document, with the Twilio auth token and the SMTP password AES-GCM encrypted. When no enabled
// integration is stored, Worker vars are the fallback (TWILIO_*; EMAIL_FROM for the binding). Texts
// and emails use the settings this isolate read at most INTEGRATIONS_CACHE_MS ago, so that a send
// costs no KV read; the Integrations API always reads and writes KV itself.
import { keyIdsOf, openText, sealText } from "../crypto/keyring";
import {
  DEFAULT_TWILIO_URL,
  emailTransportOf,
  securityOf,
  smtpPortOf,
  type EmailIntegration,
  type EmailSettings,
  type TwilioIntegration,
  type TwilioSettings,
} from "../domain/integrations";
import { countKeys, oldKeys, type KeyCounts } from "../domain/key-rotation";
import { IsolateCopy } from "./isolate-copy";

/** Both integrations, secrets in the clear: what the Integrations API and the senders work with. */
export type Integrations = { twilio: TwilioIntegration; email: EmailIntegration };

type StoredIntegrations = {
  twilio: Omit<TwilioIntegration, "authToken"> & { authToken?: string /* ciphertext */ };
  // Absent in documents written before the email integration existed.
  email?: Omit<EmailIntegration, "password"> & { password?: string /* ciphertext */ };
};

const KEY = "v1:integrations";
const TOKEN_CONTEXT = "integrations.twilio.authToken";
const PASSWORD_CONTEXT = "integrations.email.password";

/** How long an isolate sends with the settings it read last: a change made through another isolate reaches it within this (plus KV's propagation). */
export const INTEGRATIONS_CACHE_MS = 5_000;

const recent = new IsolateCopy<Integrations>(INTEGRATIONS_CACHE_MS);

/** The stored integrations with their secrets decrypted, disabled ones where nothing is stored; refreshes this isolate's copy. */
export async function readIntegrations(env: Env): Promise<Integrations> {
  return recent.keep(await readStored(env));
}

async function readStored(env: Env): Promise<Integrations> {
  const stored = await env.KV.get<StoredIntegrations>(KEY, "json");
  if (!stored) return { twilio: { enabled: false }, email: { enabled: false } };
  const { authToken, ...twilio } = stored.twilio;
  const { password, ...email } = stored.email ?? { enabled: false };
  return {
    twilio: authToken ? { ...twilio, authToken: await openText(env.ENCRYPTION_KEY, TOKEN_CONTEXT, authToken) } : twilio,
    email: password ? { ...email, password: await openText(env.ENCRYPTION_KEY, PASSWORD_CONTEXT, password) } : email,
  };
}

export async function writeIntegrations(env: Env, integrations: Integrations): Promise<void> {
  const { twilio, email } = integrations;
  const seal = (context: string, text: string | undefined) => (text ? sealText(env.ENCRYPTION_KEY, context, text) : undefined);
  const stored: StoredIntegrations = {
    twilio: { ...twilio, authToken: await seal(TOKEN_CONTEXT, twilio.authToken) },
    email: { ...email, password: await seal(PASSWORD_CONTEXT, email.password) },
  };
  await env.KV.put(KEY, JSON.stringify(stored));
  recent.keep(integrations);
}

/** The integrations as this isolate last read or wrote them, when that was under INTEGRATIONS_CACHE_MS ago. */
const current = async (env: Env): Promise<Integrations> => recent.fresh() ?? (await readIntegrations(env));

/** What SMS sending uses: the enabled stored integration, else the TWILIO_* settings, else null. */
export async function twilioConfig(env: Env): Promise<TwilioSettings | null> {
  const { twilio: stored } = await current(env);
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

/** What email sending uses: the enabled stored integration, else the `send_email` binding from EMAIL_FROM (and EMAIL_FROM_NAME), else null. */
export async function emailConfig(env: Env): Promise<EmailSettings | null> {
  const { email } = await current(env);
  if (!email.enabled) {
    const from = env.EMAIL_FROM?.trim();
    return from ? { transport: "cloudflare", from: { email: from, name: env.EMAIL_FROM_NAME?.trim() || undefined } } : null;
  }
  // The Integrations API refuses to enable an integration without these; a document edited by hand may still lack them.
  if (!email.defaultFromEmail) return null;
  const from = { email: email.defaultFromEmail, name: email.defaultFromName || undefined };
  if (emailTransportOf(email) === "cloudflare") return { transport: "cloudflare", from };
  if (!email.host) return null;
  return {
    transport: "smtp",
    from,
    host: email.host,
    port: smtpPortOf(email),
    security: securityOf(email),
    username: email.username || undefined,
    password: email.password || undefined,
  };
}

/** How many of the stored secrets (the Twilio auth token, the SMTP password) use each key id. */
export async function integrationKeyCounts(env: Env): Promise<KeyCounts> {
  const stored = await env.KV.get<StoredIntegrations>(KEY, "json");
  return countKeys([stored?.twilio.authToken, stored?.email?.password].filter((value): value is string => value !== undefined));
}

/** Writes the integrations again when a secret is sealed under an old key (writing seals under the current one); answers the secrets per key id after. */
export async function resealIntegrations(env: Env): Promise<KeyCounts> {
  const before = await integrationKeyCounts(env);
  if (Object.keys(oldKeys(before, keyIdsOf(env.ENCRYPTION_KEY)[0]!)).length === 0) return before;
  const opened = await readStored(env).catch(() => null); // a secret whose key is missing from the setting stays as it is
  if (!opened) return before;
  await writeIntegrations(env, opened);
  return integrationKeyCounts(env);
}
