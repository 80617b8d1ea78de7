// A user's second factors, FusionAuth 1.26+'s `user.twoFactor.methods`
// (https://fusionauth.io/docs/apis/two-factor): authenticator apps (a TOTP secret), phones that get
// texted codes, email addresses. The legacy API (before 1.26) is a view of the same list: 2FA is
// enabled when there is a method, and a legacy enrolment is one authenticator method, which a
// TextMessage enrolment also texts to the user's mobile phone.
import type { TwoFactorDelivery } from "./user";

export const METHOD_KINDS = ["authenticator", "email", "sms"] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];

/** The only TOTP settings FusionAuth uses (RFC 6238's defaults). */
export const AUTHENTICATOR_SETTINGS = { algorithm: "HmacSHA1", codeLength: 6, timeStep: 30 } as const;

/** At most this many methods per user: far above real use, and it bounds the work of checking a code. */
export const MAX_METHODS = 10;

/** FusionAuth caps a method's `name` at 256 characters. */
export const MAX_METHOD_NAME = 256;

type MethodBase = { id: string; name?: string };

export type TwoFactorMethod =
  /** `secret`: AES-GCM ciphertext of the key (src/crypto/keyring.ts). `texted`: a legacy TextMessage enrolment. */
  | (MethodBase & { method: "authenticator"; secret: string; texted?: true })
  | (MethodBase & { method: "sms"; mobilePhone: string })
  | (MethodBase & { method: "email"; email: string });

/** A method as the API shows it: never its secret. */
export type PublicMethod = MethodBase & {
  method: MethodKind;
  /** On the method that last completed a two-factor login (kept with the guard state: see Guard.lastUsedMethodId). */
  lastUsed?: true;
  authenticator?: typeof AUTHENTICATOR_SETTINGS;
  mobilePhone?: string;
  email?: string;
};

/** The kinds of method a code is sent to, and where one is sent: a phone number (E.164) or an email address. */
export type SendingKind = Exclude<MethodKind, "authenticator">;
export type Destination = { method: SendingKind; address: string };

/** What a new method is before it has an id. */
export type NewMethod = TwoFactorMethod extends infer M ? (M extends TwoFactorMethod ? Omit<M, "id"> : never) : never;

export function publicMethod(method: TwoFactorMethod, lastUsedId?: string): PublicMethod {
  const { id, name } = method;
  const lastUsed = id === lastUsedId;
  const shown: PublicMethod = { id, method: method.method };
  if (method.method === "authenticator") shown.authenticator = AUTHENTICATOR_SETTINGS;
  if (method.method === "sms") shown.mobilePhone = method.mobilePhone;
  if (method.method === "email") shown.email = method.email;
  if (lastUsed) shown.lastUsed = true;
  if (name !== undefined) shown.name = name;
  return shown;
}

/** Where a phone or email method sends its codes. */
export const methodAddress = (method: NewMethod | TwoFactorMethod) =>
  method.method === "sms" ? method.mobilePhone : method.method === "email" ? method.email : undefined;

/** Where codes of `method` go; undefined for an authenticator app, which is never sent one. */
export const destinationOf = (method: TwoFactorMethod): Destination | undefined =>
  method.method === "authenticator" ? undefined : { method: method.method, address: methodAddress(method)! };

export const hasMethods = (methods: TwoFactorMethod[]) => methods.length > 0;

/** The legacy `twoFactorDelivery`: TextMessage while a legacy TextMessage enrolment stands. */
export const legacyDelivery = (methods: TwoFactorMethod[]): TwoFactorDelivery => (textedAuthenticator(methods) ? "TextMessage" : "None");

/** The authenticator a legacy TextMessage enrolment texts, if any. */
export const textedAuthenticator = (methods: TwoFactorMethod[]) =>
  methods.find((method): method is Extract<TwoFactorMethod, { method: "authenticator" }> => method.method === "authenticator" && method.texted === true);

export const authenticators = (methods: TwoFactorMethod[]) =>
  methods.filter((method): method is Extract<TwoFactorMethod, { method: "authenticator" }> => method.method === "authenticator");

export const methodById = (methods: TwoFactorMethod[], id: string) => methods.find((method) => method.id === id);

/** Method ids: 4 characters, upper-case letters and digits, unique within the user (FusionAuth's form). */
export const METHOD_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
export const METHOD_ID = /^[A-Z0-9]{4}$/;

/** A method id not yet used by `methods`: `draw` makes candidates (randomness is the caller's). */
export function unusedMethodId(methods: TwoFactorMethod[], draw: () => string): string {
  for (;;) {
    const id = draw();
    if (!methodById(methods, id)) return id;
  }
}

/** `methods` with `method` added under a new id. */
export const withMethod = (methods: TwoFactorMethod[], method: NewMethod, draw: () => string): TwoFactorMethod[] => [
  ...methods,
  { ...method, id: unusedMethodId(methods, draw) } as TwoFactorMethod,
];

/**
 * The legacy enrolment of a record stored before methods existed (`twoFactorEnabled`,
 * `twoFactorSecret`, `twoFactorDelivery`) as one authenticator method. Its id is made from the
 * ciphertext (random), so it is the same on every load until the record is next written.
 */
export function legacyMethods(stored: { twoFactorEnabled?: boolean; twoFactorSecret?: string; twoFactorDelivery?: TwoFactorDelivery }): TwoFactorMethod[] {
  if (!stored.twoFactorEnabled || !stored.twoFactorSecret) return [];
  const secret = stored.twoFactorSecret;
  const id = [...secret.slice(0, 4)].map((char) => METHOD_ID_ALPHABET[char.charCodeAt(0) % METHOD_ID_ALPHABET.length]).join("");
  return [{ id, method: "authenticator", secret, ...(stored.twoFactorDelivery === "TextMessage" && { texted: true as const }) }];
}

/** The authenticator the legacy API texts and sends codes of: a TextMessage enrolment's, else the first. */
export const legacySecret = (methods: TwoFactorMethod[]) => textedAuthenticator(methods) ?? authenticators(methods)[0];
