// AES-256-GCM encryption at rest for 2FA secrets, webhook secrets and the Twilio token.
// ENCRYPTION_KEY is a comma-separated list of `keyId:base64Key` (a bare base64 key gets the id
// "k0"); the first key encrypts, all of them decrypt, so keys rotate by prepending a new one. The
// key id travels with each ciphertext, and `context` (e.g. the user id) is bound as associated data
// so a ciphertext cannot be replayed under another record.
import { decodeBase64, decodeBase64Url, encodeBase64Url } from "../domain/encoding";
import { SEALED_FORMAT, sealedKeyId } from "../domain/key-rotation";
import { secretContext } from "../domain/user";
import { withMethod, type NewMethod, type TwoFactorMethod } from "../domain/methods";
import type { MethodDraft } from "../domain/user-input";
import { newMethodId, randomBytes } from "./random";

/** `derivations` holds each entry's HKDF key in the setting's order, the current key's first. */
type Keyring = { current: string; keys: Map<string, CryptoKey>; derivations: CryptoKey[] };

const keyrings = new Map<string, Promise<Keyring>>();
const encoder = new TextEncoder();

function loadKeyring(setting: string | undefined): Promise<Keyring> {
  if (!setting) throw new Error("ENCRYPTION_KEY is not configured");
  let keyring = keyrings.get(setting);
  if (!keyring) {
    keyring = importKeyring(setting);
    keyrings.set(setting, keyring);
  }
  return keyring;
}

/** The setting's entries as key id and Base64 material, in order. */
const entriesOf = (setting: string) =>
  setting.split(",").map((entry, index) => {
    const [id, material] = entry.includes(":") ? entry.split(":", 2) : [`k${index}`, entry];
    return { id: id!.trim(), material: material!.trim() };
  });

/** The ids of the setting's keys, the current (first) one first. */
export function keyIdsOf(setting: string | undefined): string[] {
  if (!setting) throw new Error("ENCRYPTION_KEY is not configured");
  return entriesOf(setting).map(({ id }) => id);
}

async function importKeyring(setting: string): Promise<Keyring> {
  const entries = entriesOf(setting).map(({ id, material }, index) => {
    const raw = decodeBase64(material);
    if (!raw || raw.length !== 32) throw new Error(`ENCRYPTION_KEY entry ${index} is not a base64 256-bit key`);
    return [id, raw] as const;
  });
  const keys = new Map<string, CryptoKey>();
  for (const [id, raw] of entries) {
    keys.set(id, await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
  }
  const derivations = await Promise.all(entries.map(([, raw]) => crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"])));
  return { current: entries[0]![0], keys, derivations };
}

export async function encrypt(setting: string | undefined, plaintext: Uint8Array, context: string): Promise<string> {
  const { current, keys } = await loadKeyring(setting);
  const iv = randomBytes(12);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) }, keys.get(current)!, plaintext);
  return [SEALED_FORMAT, current, encodeBase64Url(iv), encodeBase64Url(new Uint8Array(sealed))].join(".");
}

export async function decrypt(setting: string | undefined, token: string, context: string): Promise<Uint8Array> {
  const { keys } = await loadKeyring(setting);
  const [format, keyId, iv, sealed] = token.split(".");
  const key = keyId ? keys.get(keyId) : undefined;
  if (format !== SEALED_FORMAT || !key || !iv || !sealed) throw new Error(`ciphertext uses an unknown format or key id "${keyId}"`);
  const opened = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: decodeBase64Url(iv) ?? new Uint8Array(), additionalData: encoder.encode(context) },
    key,
    decodeBase64Url(sealed) ?? new Uint8Array(),
  );
  return new Uint8Array(opened);
}

/**
 * `token` sealed under the current key: itself when it already is, else opened and sealed again
 * (same context). Throws when its key is not in the setting.
 */
export async function resealed(setting: string | undefined, token: string, context: string): Promise<string> {
  return sealedKeyId(token) === keyIdsOf(setting)[0] ? token : encrypt(setting, await decrypt(setting, token, context), context);
}

/**
 * Keys for another purpose derived from each key of the setting with HKDF-SHA256 (RFC 5869), the
 * current key's first; `info` names the purpose, so one secret serves several algorithms without
 * reusing key material. What the current key's makes, the others' still check while a rotation runs.
 */
async function deriveKeys(
  setting: string | undefined,
  info: string,
  algorithm: Parameters<SubtleCrypto["deriveKey"]>[2],
  usages: string[],
): Promise<CryptoKey[]> {
  const { derivations } = await loadKeyring(setting);
  const params = { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info: encoder.encode(info) };
  return Promise.all(derivations.map((derivation) => crypto.subtle.deriveKey(params, derivation, algorithm, false, usages)));
}

/** A TOTP key encrypted for user `userId`'s record (`twoFactorSecret`), bound to that user. */
export const sealTwoFactorKey = (setting: string | undefined, userId: string, key: Uint8Array) => encrypt(setting, key, secretContext(userId));

/** The TOTP key of user `userId`'s `twoFactorSecret`. */
export const openTwoFactorKey = (setting: string | undefined, userId: string, sealed: string) => decrypt(setting, sealed, secretContext(userId));

/** `text` (UTF-8) encrypted under `context`: a webhook's signing key and header values, the Twilio auth token. */
export const sealText = (setting: string | undefined, context: string, text: string): Promise<string> => encrypt(setting, encoder.encode(text), context);

/** Texts this isolate has opened, by setting, context and ciphertext: a delivery or a text message then costs no AES-GCM. */
const openedTexts = new Map<string, string>();
/** Room for every text in use (20 webhooks of a signing key and 20 header values, one Twilio token) twice over; emptied when full. */
const MAX_OPENED_TEXTS = 1_000;

/** The text `sealText` sealed under `context`; throws for another context or a setting without its key. */
export async function openText(setting: string | undefined, context: string, sealed: string): Promise<string> {
  const cacheKey = [setting ?? "", context, sealed].join("\n");
  let text = openedTexts.get(cacheKey);
  if (text === undefined) {
    text = new TextDecoder().decode(await decrypt(setting, sealed, context));
    if (openedTexts.size >= MAX_OPENED_TEXTS) openedTexts.clear();
    openedTexts.set(cacheKey, text);
  }
  return text;
}

const derived = new Map<string, Promise<CryptoKey[]>>();

/** `deriveKeys`, once per setting and purpose (`info` names one algorithm and one set of usages). */
export function derivedKeys(setting: string | undefined, info: string, algorithm: Parameters<typeof deriveKeys>[2], usages: string[]): Promise<CryptoKey[]> {
  const cacheKey = `${info}\n${setting ?? ""}`;
  let keys = derived.get(cacheKey);
  if (!keys) {
    keys = deriveKeys(setting, info, algorithm, usages);
    derived.set(cacheKey, keys);
  }
  return keys;
}

/** The current key's `derivedKeys`: what new values are made with. */
export const derivedKey = async (
  setting: string | undefined,
  info: string,
  algorithm: Parameters<typeof deriveKeys>[2],
  usages: string[],
): Promise<CryptoKey> => (await derivedKeys(setting, info, algorithm, usages))[0]!;

const MAC = { name: "HMAC", hash: "SHA-256", length: 256 } as const;

/** HMAC-SHA256 signing keys for `info`'s purpose, one per key of the setting, the current key's first. */
export const macKeys = (setting: string | undefined, info: string): Promise<CryptoKey[]> => derivedKeys(setting, info, MAC, ["sign"]);

/** Base64URL HMAC-SHA256 under `key` of UTF-8 `userId:text`: a code kept as a keyed hash bound to its user. */
export async function userMac(key: CryptoKey, userId: string, text: string): Promise<string> {
  return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${userId}:${text}`))));
}

/** The current key's HMAC-SHA256 signing key for `info`'s purpose. */
export const macKey = (setting: string | undefined, info: string): Promise<CryptoKey> => derivedKey(setting, info, MAC, ["sign"]);

/** An authenticator method of user `userId` holding `key`, encrypted; `texted` for a legacy TextMessage enrolment. */
export async function sealAuthenticator(
  setting: string | undefined,
  userId: string,
  enrolment: { key: Uint8Array; texted?: boolean; name?: string },
): Promise<NewMethod> {
  const secret = await sealTwoFactorKey(setting, userId, enrolment.key);
  return { method: "authenticator", secret, ...(enrolment.texted && { texted: true as const }), ...(enrolment.name !== undefined && { name: enrolment.name }) };
}

/** `kept` and then the methods `added`, each authenticator's key encrypted for user `userId`, each new method with a new id. */
export async function sealNewMethods(setting: string | undefined, userId: string, kept: TwoFactorMethod[], added: MethodDraft[]): Promise<TwoFactorMethod[]> {
  let methods = kept;
  for (const draft of added) {
    const method = draft.method === "authenticator" ? await sealAuthenticator(setting, userId, draft) : draft;
    methods = withMethod(methods, method, newMethodId);
  }
  return methods;
}
