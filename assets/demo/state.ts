// What the page knows: the user being walked through the tutorials, the sign-in under way, and how
// a two-factor method is named on screen. The API key lives in this tab only (sessionStorage).

/** The tutorials' example application: it becomes the token's "aud" claim. */
export const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
export const KEY_STORAGE = "two-factor-demo.apiKey";
/** The name authenticator apps show next to the account (the server's JWT issuer). */
export const issuer = document.body.dataset.issuer || "acme.com";

/** A second factor as FusionAuth 1.26+ lists it (`user.twoFactor.methods`, the 242's `methods`). */
export type TwoFactorMethod = { id: string; method: string; mobilePhone?: string; email?: string; lastUsed?: boolean; name?: string };
export type User = {
  id: string;
  email: string;
  mobilePhone?: string;
  twoFactorEnabled?: boolean;
  twoFactorDelivery?: string;
  twoFactor?: { methods?: TwoFactorMethod[] };
};
export type Secret = { secret: string; secretBase32Encoded: string };
export type Method = "authenticator" | "sms" | "email";
/**
 * Where the code of this sign-in comes from: the app, or a text, sent by the login itself (a legacy
 * TextMessage enrolment) or, with `methodId`, by this page for that phone or email method; `to` is
 * where it went, as the page shows it.
 */
export type CodeFrom = { method: Method; methodId?: string; to?: string };

export const state: {
  apiKey: string;
  user: User | null;
  secret: Secret | null;
  method: Method;
  twoFactorId: string | null;
  /** The methods the 242 listed: with more than one, the person picks. */
  loginMethods: TwoFactorMethod[];
  codeFrom: CodeFrom;
  /** The method whose Remove form is open. */
  removing: TwoFactorMethod | null;
  trustId: string | null;
  /** The trusted device that is this browser (by the trust id's status), in the signed-in view. */
  thisDevice: string | null;
  /** The signed-in view's summary without what it says about trusting this computer. */
  signedInAs: string;
  /** The recovery codes while their step is on screen; forgotten when it is left. */
  recoveryCodes: string[];
  /** The second-factor step takes a recovery code instead of a six-digit code. */
  recoveryMode: boolean;
} = {
  apiKey: sessionStorage.getItem(KEY_STORAGE) ?? "",
  user: null,
  secret: null,
  method: "authenticator",
  twoFactorId: null,
  loginMethods: [],
  codeFrom: { method: "authenticator" },
  removing: null,
  trustId: null,
  thisDevice: null,
  signedInAs: "",
  recoveryCodes: [],
  recoveryMode: false,
};

export const currentUser = (): User => {
  if (!state.user) throw new Error("no user yet");
  return state.user;
};

/** A legacy TextMessage enrolment: the login itself texts the code of the user's authenticator method. */
export const textedByLogin = () => currentUser().twoFactorDelivery === "TextMessage";

/**
 * "j…@example.com": an address as sign-in pages show it, its local part cut to the first character.
 * A word joiner (U+2060) after the ellipsis, which lines may break after (Unicode UAX #14), keeps
 * it on one line.
 */
export const maskedEmail = (email: string | undefined) => {
  const at = email?.lastIndexOf("@") ?? -1;
  return email && at > 0 ? `${email[0]}…\u2060${email.slice(at)}` : "the email address";
};

/** A method whose codes are sent (by text or email) rather than shown by an app. */
export const sendsCodes = (method: TwoFactorMethod) => method.method === "sms" || method.method === "email";

/** Where a sent method's codes go, as the page shows it: the phone, or the address cut short. */
export const destination = (method: TwoFactorMethod) => (method.method === "email" ? maskedEmail(method.email) : (method.mobilePhone ?? "the phone"));

export const sentBy = (method: Method) => (method === "email" ? "emailed" : "texted");
