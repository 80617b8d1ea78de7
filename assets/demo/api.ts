// Calls to this server's API, and its answers in words. The API key is sent only as the
// Authorization header, only to this origin; the second login step and "Send a new code" go
// without it, as in FusionAuth's tutorials.

export type Answer = { status: number; data: unknown; headers: Headers };

type FieldError = { code: string; message: string };
type Errors = { fieldErrors?: Record<string, FieldError[]>; generalErrors?: FieldError[] };
type Actions = { actions?: Array<{ expiry?: number }> };

export async function call(method: string, path: string, options: { body?: unknown; apiKey?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined) headers.Authorization = options.apiKey;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: "no-store" });
  } catch {
    return { status: 0, data: null, headers: new Headers() };
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return { status: response.status, data, headers: response.headers };
}

/**
 * What went wrong, for the page to show next to the field it concerns:
 * - `field`: the FusionAuth field name (e.g. "user.email") when the server named one;
 * - `waitSeconds`: a 429's Retry-After, to count down;
 * - `nextCodeIn`: the code was right but already used (the server's `X-Two-Factor-Reason:
 *   CodeAlreadyUsed`), and the authenticator shows a new one in this many seconds.
 */
export type Problem = { text: string; tone: "error" | "warn"; field?: string; waitSeconds?: number; nextCodeIn?: number };

/** Where a 404 comes from changes what it means. */
export type Context = { notFound?: string };

export function problemOf(answer: Answer, context: Context = {}): Problem {
  const { status, data, headers } = answer;
  const error = (text: string, field?: string): Problem => ({ text, tone: "error", field });
  if (status === 0) return error("Could not reach the server. Is it still running?");
  if (status === 421) {
    if (headers.get("X-Two-Factor-Reason") === "CodeAlreadyUsed") {
      const seconds = Number.parseInt(headers.get("X-Two-Factor-Next-Code-In") ?? "", 10);
      return { text: "That code was just used.", tone: "warn", nextCodeIn: Number.isFinite(seconds) && seconds > 0 ? seconds : 30 };
    }
    return error("That code is not valid.");
  }
  if (status === 429) {
    const seconds = Number.parseInt(headers.get("Retry-After") ?? "", 10);
    return { text: "Too many codes asked for.", tone: "warn", waitSeconds: Number.isFinite(seconds) && seconds > 0 ? seconds : 30 };
  }
  if (status === 409) {
    const expiry = (data as Actions | null)?.actions?.[0]?.expiry;
    const until = typeof expiry === "number" ? new Date(expiry).toLocaleString() : "later";
    return error(`Locked until ${until} after too many failed attempts.`);
  }
  const mailFailed = (data as Errors | null)?.generalErrors?.some(({ code }) => code === "[EmailTwoFactorFailed]");
  if (mailFailed) return error(MAIL_FAILED[status] ?? MAIL_FAILED[502]!);
  if (status === 400) return fromErrors(data as Errors | null) ?? error("The server did not accept the request.");
  if (status === 401) return error("The API key was not accepted.");
  if (status === 404) return error(context.notFound ?? "Not found.");
  if (status === 410) return error("This user has expired.");
  if (status === 423) return error("This user is deactivated.");
  if (status >= 500) return error(`The server failed (HTTP ${status}, request id ${headers.get("X-Request-Id") || "unknown"}).`);
  return error(`Unexpected answer from the server: HTTP ${status}.`);
}

/**
 * The API's error codes (`[type]field` for a field, `[Name]` otherwise) in words for people: the
 * API's own messages name fields in brackets ("The [user.mobilePhone] is not a phone number.").
 * Keyed without "user.": the Two Factor API names the same field "mobilePhone".
 */
const SENTENCES: Record<string, string> = {
  "[blank]email": "Enter an email.",
  "[duplicate]email": "A user with this email already exists. Use another one.",
  "[blank]password": "Choose a password.",
  "[blank]mobilePhone": "Text messages need a mobile phone number. Enter one.",
  "[invalid]mobilePhone":
    "No text can go to this number: it is not an assigned phone number. Type a real mobile number, with + and the country code outside the US (555 numbers other than 555-0100 to 555-0199 are not assigned).",
  "[mismatch]mobilePhone": "That code was texted to another number. Text a code to this one.",
  "[invalid]twoFactorId": "This sign-in has expired. Start again.",
  "[invalid]methodId": "This method was removed meanwhile. Start again.",
  "[TwilioNotConfigured]": "Twilio is not set up on this server. Save the Twilio settings first.",
  "[PushTwoFactorFailed]": "Twilio refused the text or could not be reached. Check the Twilio settings and that the fake Twilio is running.",
  "[PhoneNumberTypeNotAllowed]": "This server does not text codes to this kind of number (premium-rate, shared-cost and the like).",
  "[PhoneCountryNotAllowed]": "This server does not text codes to this number's country.",
  "[invalid]email": "This is not an email address. Check it for typos.",
  "[mismatch]email": "That code was emailed to another address. Email a code to this one.",
  "[EmailNotConfigured]": "Email is not set up on this server. Set EMAIL_FROM (Cloudflare Email Service), or enable the email integration.",
};

/** `[EmailTwoFactorFailed]` by its status: what the mail server did with the email. */
const MAIL_FAILED: Record<number, string> = {
  400: "The mail server refused this address.",
  502: "The mail server refused this server's login, or failed. Check the email settings.",
  503: "The mail server could not be reached. Is it running?",
  504: "The mail server did not answer in time. The email may still arrive, and its code still works.",
};

/** An API message with its bracketed field names as words: "[user.mobilePhone]" becomes "mobile phone". */
const plain = (message: string) =>
  message.replace(/^\[\w+\]/, "").replace(/\[(?:\w+\.)*(\w+)\]/g, (_, name: string) => name.replace(/(?<=[a-z])(?=[A-Z])/g, " ").toLowerCase());

const sentence = ({ code, message }: FieldError) => SENTENCES[code.replace("]user.", "]")] ?? plain(message);

/** A FusionAuth Errors body: the first field's errors, naming the field, else the general errors, in words. */
function fromErrors(data: Errors | null): Problem | null {
  if (!data) return null;
  const [field, list] = Object.entries(data.fieldErrors ?? {})[0] ?? [];
  if (field && list?.length) return { text: list.map(sentence).join(" "), tone: "error", field };
  const general = (data.generalErrors ?? []).map(sentence).join(" ");
  return general ? { text: general, tone: "error" } : null;
}
