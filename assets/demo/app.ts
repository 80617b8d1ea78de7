// The /demo page: FusionAuth 1.25's "Two Factor with Google Authenticator" and "Two Factor with
// Twilio Push Notifications" tutorials as one flow against this server's API. The API key lives in
// this tab only (sessionStorage).
import { call, problemOf, type Answer, type Problem } from "./api.js";
import { announce, byId, codeField, holdButton, Message, onClick, onSubmit, release, showStep } from "./ui.js";

/** The tutorials' example application: it becomes the token's "aud" claim. */
const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
const KEY_STORAGE = "two-factor-demo.apiKey";
/** The name authenticator apps show next to the account (the server's JWT issuer). */
const issuer = document.body.dataset.issuer || "acme.com";

type User = { id: string; email: string; mobilePhone?: string; twoFactorEnabled?: boolean };
type Secret = { secret: string; secretBase32Encoded: string };
type Twilio = { enabled?: boolean; url?: string };
type Method = "authenticator" | "sms";
/** A trusted device as GET /api/user/two-factor/trust/{userId} lists it (instants in ms). */
type Device = { id: string; applicationId?: string; issuedInstant: number; lastUsedInstant: number; expirationInstant: number };

const state: {
  apiKey: string;
  user: User | null;
  secret: Secret | null;
  method: Method;
  twoFactorId: string | null;
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
  trustId: null,
  thisDevice: null,
  signedInAs: "",
  recoveryCodes: [],
  recoveryMode: false,
};

const input = (id: string) => byId<HTMLInputElement>(id);
const button = (id: string) => byId<HTMLButtonElement>(id);
const form = (id: string) => byId<HTMLFormElement>(id);
const text = (id: string, value: string) => (byId(id).textContent = value);
const currentUser = (): User => {
  if (!state.user) throw new Error("no user yet");
  return state.user;
};

const messages = {
  apiKey: Message.of("api-key-msg", "api-key"),
  email: Message.of("email-msg", "email"),
  password: Message.of("password-msg", "password"),
  mobilePhone: Message.of("mobile-phone-msg", "mobile-phone"),
  userForm: Message.of("user-form-msg"),
  methodForm: Message.of("method-form-msg"),
  qr: Message.of("qr-msg"),
  copyKey: Message.of("copy-key-msg"),
  authenticatorCode: Message.of("authenticator-code-msg", "authenticator-code"),
  twilioUrl: Message.of("twilio-url-msg", "twilio-url"),
  twilioSid: Message.of("twilio-sid-msg", "twilio-sid"),
  twilioToken: Message.of("twilio-token-msg", "twilio-token"),
  twilioFrom: Message.of("twilio-from-msg", "twilio-from"),
  twilioForm: Message.of("twilio-form-msg"),
  smsPhone: Message.of("sms-phone-msg", "sms-phone"),
  smsCode: Message.of("sms-code-msg", "sms-code"),
  loginEmail: Message.of("login-email-msg", "login-email"),
  loginPassword: Message.of("login-password-msg", "login-password"),
  loginCode: Message.of("login-code-msg", "login-code"),
  recoveryCode: Message.of("recovery-code-msg", "recovery-code"),
  recovery: Message.of("recovery-msg"),
  devices: Message.of("devices-msg"),
  resend: Message.of("resend-msg"),
  disableCode: Message.of("disable-code-msg", "disable-code"),
  done: Message.of("disable-msg"),
};

/** A bug in this page, said where the user is looking. */
const failed = (where: Message) => (error: unknown) =>
  where.show("error", `Something went wrong in this page: ${error instanceof Error ? error.message : String(error)}`);

/** Shows a problem next to the field the server named (`fields` maps FusionAuth names to messages), else at `fallback`. */
function showProblem(problem: Problem, fallback: Message, fields: Record<string, Message> = {}): void {
  (problem.field ? (fields[problem.field] ?? fallback) : fallback).show(problem.tone, problem.text);
}

/** 429: the wait counted down next to the button, which stays disabled meanwhile. */
function showWait(problem: Problem, where: Message, sendButton: HTMLButtonElement, focusTo: HTMLElement): void {
  const seconds = problem.waitSeconds ?? 30;
  where.countdown(
    "warn",
    seconds,
    (left) => `Wait ${left} s before asking for another code.`,
    () => where.show("info", "You can ask for another code now.", { announce: false }),
  );
  holdButton(sendButton, seconds, (left) => `Send again in ${left} s`, focusTo);
}

/**
 * A refused code: "not valid", or right but already used (the replay guard). An authenticator
 * shows a new code at the next 30 s step: the countdown says when.
 */
function showCodeProblem(answer: Answer, where: Message, field: HTMLInputElement, notFound: string): void {
  const problem = problemOf(answer, { notFound });
  field.select();
  if (problem.nextCodeIn === undefined) return where.show(problem.tone, problem.text);
  if (state.method === "sms") return where.show("warn", "That code was already used. Send yourself a new one.");
  where.countdown(
    "warn",
    problem.nextCodeIn,
    (left) => `That code was just used. Your app shows a new one in ${left} s.`,
    () => where.show("info", "Your app shows a new code now. Enter it."),
  );
}

const sixDigits = (value: string) => /^\d{6}$/.test(value);

// Step 1: the API key.
onSubmit(
  form("key-form"),
  async () => {
    const apiKey = input("api-key").value.trim();
    if (!apiKey) return messages.apiKey.show("error", "Enter the API key that npm start printed.");
    // Any API-key call proves the key; this one is harmless.
    const answer = await call("GET", "/api/integration", { apiKey });
    if (answer.status !== 200) return messages.apiKey.show("error", problemOf(answer).text);
    state.apiKey = apiKey;
    sessionStorage.setItem(KEY_STORAGE, apiKey);
    showStep("step-user");
    announce("API key accepted.");
  },
  failed(messages.apiKey),
);

// Step 2: a user.
onSubmit(
  form("user-form"),
  async () => {
    const email = input("email").value.trim();
    const password = input("password").value;
    const mobilePhone = input("mobile-phone").value.trim();
    if (!email) return messages.email.show("error", "Enter an email.");
    if (!password) return messages.password.show("error", "Choose a password.");
    const user: Record<string, string> = { email, password };
    if (mobilePhone) user.mobilePhone = mobilePhone;
    const answer = await call("POST", "/api/user", { body: { user }, apiKey: state.apiKey });
    if (answer.status !== 200) {
      return showProblem(problemOf(answer), messages.userForm, {
        "user.email": messages.email,
        "user.password": messages.password,
        "user.mobilePhone": messages.mobilePhone,
      });
    }
    state.user = (answer.data as { user: User }).user;
    text("method-lead", `Created ${state.user.email}. How will they confirm it's them?`);
    showStep("step-method");
  },
  failed(messages.userForm),
);

// Step 3: the method, and a fresh secret for it.
onSubmit(
  form("method-form"),
  async () => {
    const checked = form("method-form").querySelector<HTMLInputElement>("input[name=method]:checked");
    state.method = checked?.value === "sms" ? "sms" : "authenticator";
    const answer = await call("GET", "/api/two-factor/secret", { apiKey: state.apiKey });
    if (answer.status !== 200) return messages.methodForm.show("error", problemOf(answer).text);
    state.secret = answer.data as Secret;
    if (state.method === "sms") await showSms();
    else await showAuthenticator();
  },
  failed(messages.methodForm),
);

// Step 4a: the authenticator app.
codeField(input("authenticator-code"));

async function showAuthenticator(): Promise<void> {
  const base32 = state.secret!.secretBase32Encoded;
  // Key URI format: otpauth://totp/<issuer>:<account>?secret=…&issuer=… ("@" may stay as it is).
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(currentUser().email).replace(/%40/g, "@")}`;
  const uri = `otpauth://totp/${label}?secret=${base32}&issuer=${encodeURIComponent(issuer)}`;
  const key = byId("secret-base32");
  key.dataset.key = base32;
  key.textContent = base32.match(/.{1,4}/g)?.join(" ") ?? base32;
  byId<HTMLAnchorElement>("otpauth-link").href = uri;
  input("authenticator-code").value = "";
  for (const message of [messages.qr, messages.copyKey, messages.authenticatorCode]) message.clear();
  const qr = byId<HTMLImageElement>("qr");
  qr.removeAttribute("src");
  showStep("step-authenticator");
  // Drawn by this Worker; POST keeps the secret out of URLs and logs.
  const response = await fetch("/demo/qr.svg", { method: "POST", headers: { "Content-Type": "text/plain" }, body: uri, cache: "no-store" }).catch(() => null);
  if (!response?.ok) return messages.qr.show("error", "Could not draw the QR code. Enter the key instead.");
  qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await response.text())}`;
}

onClick(
  button("copy-key"),
  async () => {
    const key = byId("secret-base32");
    try {
      await navigator.clipboard.writeText(key.dataset.key ?? "");
      messages.copyKey.show("ok", 'Key copied. Paste it into the app\'s "Enter a setup key".');
    } catch {
      // No clipboard access: select the key so that Ctrl+C / ⌘C copies it.
      getSelection()?.selectAllChildren(key);
      messages.copyKey.show("info", "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
    }
  },
  failed(messages.copyKey),
);

onSubmit(
  form("authenticator-form"),
  async () => {
    const code = input("authenticator-code").value;
    if (!sixDigits(code)) return messages.authenticatorCode.show("error", "Enter the 6 digits the app shows.");
    await enable(code, "None", messages.authenticatorCode, input("authenticator-code"));
  },
  failed(messages.authenticatorCode),
);

// Step 4b: text messages through Twilio.
codeField(input("sms-code"));

/** The fake Twilio (test/fake-twilio) runs on this machine and lists what it received. */
const fakeInbox = (url: string | undefined) => {
  try {
    const parsed = new URL(url ?? "");
    return ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname) ? new URL("/_fake/messages", parsed).href : null;
  } catch {
    return null;
  }
};

function showTwilio(twilio: Twilio | null, justSaved = false): void {
  const configured = Boolean(twilio?.enabled);
  const badge = byId("twilio-badge");
  badge.textContent = configured ? "Saved" : "Not set up";
  badge.dataset.tone = configured ? "ok" : "warn";
  byId<HTMLDetailsElement>("twilio-panel").open = !configured;
  // Once saved, the settings are secondary: the next thing to do is texting a code.
  button("twilio-save").className = configured ? "secondary" : "primary";
  button("twilio-save").textContent = configured ? "Save changes" : "Save Twilio settings";
  const status = byId("twilio-status");
  status.hidden = justSaved ? false : configured;
  status.dataset.tone = configured ? "ok" : "warn";
  status.textContent = configured
    ? "Twilio settings saved. Now text a code to the user's phone."
    : "Twilio is not configured yet. Save the settings below first: they are prefilled for the fake Twilio.";
  const inbox = configured ? fakeInbox(twilio?.url) : null;
  byId("fake-inbox").hidden = !inbox;
  if (inbox) byId<HTMLAnchorElement>("fake-inbox-link").href = inbox;
  form("send-form").hidden = !configured;
}

async function showSms(): Promise<void> {
  input("sms-phone").value = currentUser().mobilePhone ?? "";
  input("sms-code").value = "";
  form("sms-form").hidden = true;
  release(button("send-code"));
  button("send-code").className = "primary";
  button("send-code").textContent = "Text me a code";
  for (const message of [messages.smsPhone, messages.smsCode, messages.twilioForm]) message.clear();
  const answer = await call("GET", "/api/integration", { apiKey: state.apiKey });
  showTwilio(answer.status === 200 ? ((answer.data as { integrations: { twilio?: Twilio } }).integrations.twilio ?? null) : null);
  showStep("step-sms");
}

onSubmit(
  form("twilio-form"),
  async () => {
    const twilio = {
      enabled: true,
      url: input("twilio-url").value.trim(),
      accountSID: input("twilio-sid").value.trim(),
      authToken: input("twilio-token").value.trim(),
      fromPhoneNumber: input("twilio-from").value.trim(),
    };
    const answer = await call("PUT", "/api/integration", { body: { integrations: { twilio } }, apiKey: state.apiKey });
    if (answer.status !== 200) {
      return showProblem(problemOf(answer), messages.twilioForm, {
        "integrations.twilio.url": messages.twilioUrl,
        "integrations.twilio.accountSID": messages.twilioSid,
        "integrations.twilio.authToken": messages.twilioToken,
        "integrations.twilio.fromPhoneNumber": messages.twilioFrom,
      });
    }
    showTwilio(twilio, true);
    input("sms-phone").focus();
    announce("Twilio settings saved.");
  },
  failed(messages.twilioForm),
);

onSubmit(
  form("send-form"),
  async () => {
    const mobilePhone = input("sms-phone").value.trim();
    if (!mobilePhone) return messages.smsPhone.show("error", "Enter the phone number to text.");
    const user = currentUser();
    if (mobilePhone !== (user.mobilePhone ?? "")) {
      // Text-message delivery needs the phone on the user, not only in this request.
      const patched = await call("PATCH", `/api/user/${encodeURIComponent(user.id)}`, { body: { user: { mobilePhone } }, apiKey: state.apiKey });
      if (patched.status !== 200) return messages.smsPhone.show("error", problemOf(patched).text);
      state.user = (patched.data as { user: User }).user;
    }
    const answer = await call("POST", "/api/two-factor/send", { body: { mobilePhone, secret: state.secret!.secret }, apiKey: state.apiKey });
    if (answer.status === 429) return showWait(problemOf(answer), messages.smsPhone, button("send-code"), input("sms-code"));
    if (answer.status !== 200) return messages.smsPhone.show("error", problemOf(answer).text);
    release(button("send-code"));
    button("send-code").className = "secondary";
    button("send-code").textContent = "Send again";
    form("sms-form").hidden = false;
    messages.smsPhone.show("ok", `Code sent to ${mobilePhone}.`);
    input("sms-code").focus();
  },
  failed(messages.smsPhone),
);

onSubmit(
  form("sms-form"),
  async () => {
    const code = input("sms-code").value;
    if (!sixDigits(code)) return messages.smsCode.show("error", "Enter the 6 digits from the text message.");
    await enable(code, "TextMessage", messages.smsCode, input("sms-code"));
  },
  failed(messages.smsCode),
);

async function enable(code: string, delivery: "None" | "TextMessage", where: Message, field: HTMLInputElement): Promise<void> {
  // The secret, not its Base32 form, as the tutorials send it.
  const user = currentUser();
  const answer = await call("POST", `/api/user/two-factor/${encodeURIComponent(user.id)}`, {
    body: { code, secret: state.secret!.secret, delivery },
    apiKey: state.apiKey,
  });
  if (answer.status !== 200) return showCodeProblem(answer, where, field, "This user no longer exists. Start over with a new user.");
  user.twoFactorEnabled = true;
  await showRecoveryCodes();
}

// Step 4c: recovery codes (FusionAuth 1.26's shape), asked for right after enabling and shown once.
async function showRecoveryCodes(): Promise<void> {
  const user = currentUser();
  messages.recovery.clear();
  const answer = await call("POST", `/api/user/two-factor/recovery-code/${encodeURIComponent(user.id)}`, { apiKey: state.apiKey });
  state.recoveryCodes = answer.status === 200 ? (answer.data as { recoveryCodes: string[] }).recoveryCodes : [];
  const codes = state.recoveryCodes;
  byId("recovery-codes").replaceChildren(
    ...codes.map((code) => {
      const item = document.createElement("li");
      const value = document.createElement("code");
      value.textContent = code;
      item.append(value);
      return item;
    }),
  );
  byId("recovery-codes").hidden = codes.length === 0;
  button("copy-codes").hidden = codes.length === 0;
  button("download-codes").hidden = codes.length === 0;
  text(
    "recovery-lead",
    codes.length
      ? `Two-factor is on for ${user.email}. If the phone is lost, each of these codes stands in for a code once. They are shown only now: copy or download them.`
      : `Two-factor is on for ${user.email}.`,
  );
  showStep("step-recovery");
  if (answer.status !== 200) messages.recovery.show("error", `No recovery codes this time: ${problemOf(answer).text}`);
}

/** The codes as a text file's lines. */
const recoveryText = () => [`Recovery codes for ${currentUser().email} (${issuer}). Each works once.`, "", ...state.recoveryCodes, ""].join("\n");

onClick(
  button("copy-codes"),
  async () => {
    try {
      await navigator.clipboard.writeText(recoveryText());
      messages.recovery.show("ok", "Codes copied.");
    } catch {
      getSelection()?.selectAllChildren(byId("recovery-codes"));
      messages.recovery.show("info", "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
    }
  },
  failed(messages.recovery),
);

onClick(
  button("download-codes"),
  () => {
    // A file made in this page (Blob), so the codes never travel again.
    const url = URL.createObjectURL(new Blob([recoveryText()], { type: "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "recovery-codes.txt";
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    messages.recovery.show("ok", "Saved as recovery-codes.txt.");
  },
  failed(messages.recovery),
);

onClick(
  button("recovery-done"),
  () => {
    state.recoveryCodes = [];
    byId("recovery-codes").replaceChildren();
    showLogin();
  },
  failed(messages.recovery),
);

// Step 5: sign in with the password.
function showLogin(): void {
  const user = currentUser();
  input("login-email").value = user.email;
  input("login-password").value = "";
  for (const message of [messages.loginEmail, messages.loginPassword]) message.clear();
  text(
    "login-lead",
    user.twoFactorEnabled
      ? `Two-factor is on for ${user.email}. Sign in as they would: the server answers 242 and asks for a code.`
      : `Two-factor is off for ${user.email}: the password is enough.`,
  );
  showStep("step-login");
}

onSubmit(
  form("login-form"),
  async () => {
    const loginId = input("login-email").value.trim();
    const password = input("login-password").value;
    if (!password) return messages.loginPassword.show("error", "Enter the password.");
    const body: Record<string, string> = { loginId, password, applicationId: APPLICATION_ID };
    if (state.trustId) body.twoFactorTrustId = state.trustId;
    const answer = await call("POST", "/api/login", { body, apiKey: state.apiKey });
    if (answer.status === 200) return signedIn(answer.data as SignedIn, "trusted");
    if (answer.status !== 242) return messages.loginPassword.show("error", problemOf(answer, { notFound: "Wrong email or password." }).text);
    state.twoFactorId = (answer.data as { twoFactorId: string }).twoFactorId;
    showCode();
  },
  failed(messages.loginPassword),
);

// Step 6: the code.
codeField(input("login-code"));

function showCode(): void {
  const user = currentUser();
  const sms = state.method === "sms";
  text(
    "code-lead",
    sms
      ? // The 242 does not say whether the login's text went out (FusionAuth keeps it when the text fails).
        `The server texts a 6-digit code to ${user.mobilePhone ?? "the user's phone"} at sign-in. No text? "Send a new code" says why.`
      : `Open your authenticator app and enter the code for ${issuer} (${user.email}).`,
  );
  button("resend").hidden = !sms;
  release(button("resend"));
  input("login-code").value = "";
  input("trust-computer").checked = false;
  messages.loginCode.clear();
  messages.resend.clear();
  input("recovery-code").value = "";
  useRecoveryCode(false);
  showStep("step-code");
}

/** Switches the second-factor step between the six-digit code and a recovery code. */
function useRecoveryCode(on: boolean, focus = false): void {
  state.recoveryMode = on;
  byId("login-code-field").hidden = on;
  byId("recovery-code-field").hidden = !on;
  button("use-recovery").textContent = on ? `Use a code from ${state.method === "sms" ? "a text message" : "the app"}` : "Use a recovery code";
  messages.loginCode.clear();
  messages.recoveryCode.clear();
  if (focus) input(on ? "recovery-code" : "login-code").focus();
}

onClick(button("use-recovery"), () => useRecoveryCode(!state.recoveryMode, true), failed(messages.loginCode));

/**
 * What people type for `7K2QD-M0XW9`: ten letters and digits, any case, maybe a space or dash between
 * the groups. The server reads lookalikes (O for 0, I or L for 1) and earlier codes' alphabet.
 */
const RECOVERY_CODE = /^[A-Za-z0-9]{5}[\s-]?[A-Za-z0-9]{5}$/;

const expired = "This sign-in has expired. Start again.";

onSubmit(
  form("code-form"),
  async () => {
    const recovery = state.recoveryMode;
    const code = recovery ? input("recovery-code").value.trim() : input("login-code").value;
    if (recovery && !RECOVERY_CODE.test(code)) return messages.recoveryCode.show("error", "Enter a recovery code: ten letters and digits, like 7K2QD-M0XW9.");
    if (!recovery && !sixDigits(code)) return messages.loginCode.show("error", "Enter the 6-digit code.");
    // A recovery code goes in the same `code` field as a six-digit one.
    const body = { twoFactorId: state.twoFactorId, code, trustComputer: input("trust-computer").checked, applicationId: APPLICATION_ID };
    const answer = await call("POST", "/api/two-factor/login", { body });
    if (answer.status === 200) return signedIn(answer.data as SignedIn, recovery ? "recovery" : "code");
    if (!recovery) return showCodeProblem(answer, messages.loginCode, input("login-code"), expired);
    input("recovery-code").select();
    const problem = problemOf(answer, { notFound: expired });
    messages.recoveryCode.show("error", answer.status === 421 ? "That recovery code is not valid, or it was used already." : problem.text);
  },
  failed(messages.loginCode),
);

onClick(
  button("resend"),
  async () => {
    messages.resend.clear();
    const answer = await call("POST", `/api/two-factor/send/${encodeURIComponent(state.twoFactorId ?? "")}`);
    if (answer.status === 429) return showWait(problemOf(answer), messages.resend, button("resend"), input("login-code"));
    const phone = currentUser().mobilePhone ?? "the phone";
    if (answer.status !== 200) {
      const problem = problemOf(answer, { notFound: expired });
      text("code-lead", `No code was texted to ${phone}. ${problem.text}`);
      return messages.resend.show("error", problem.text);
    }
    text("code-lead", `We texted a 6-digit code to ${phone}.`);
    messages.resend.show("ok", `A new code is on its way to ${phone}.`);
  },
  failed(messages.resend),
);

onClick(button("back-to-login"), showLogin, failed(messages.loginCode));

// Step 7: signed in.
type SignedIn = { user?: User & { twoFactorRecoveryCodesRemaining?: number }; token?: string; twoFactorTrustId?: string };

const CLAIM_NAMES: Record<string, string> = {
  aud: "Audience",
  exp: "Expires",
  iat: "Issued at",
  auth_time: "Signed in at",
  iss: "Issuer",
  sub: "Subject (user id)",
  jti: "Token id",
  email: "Email",
  email_verified: "Email verified",
  applicationId: "Application",
  authenticationType: "Signed in with",
  preferred_username: "Username",
  roles: "Roles",
  tid: "Tenant",
  tokenStamp: "Account's token stamp",
};
const TIME_CLAIMS = new Set(["exp", "iat", "auth_time", "nbf"]);

async function signedIn(data: SignedIn, how: "code" | "recovery" | "trusted"): Promise<void> {
  const user = currentUser();
  if (data.twoFactorTrustId) state.trustId = data.twoFactorTrustId;
  const skipped = how === "trusted" && user.twoFactorEnabled;
  state.signedInAs = skipped
    ? `Signed in as ${user.email} without a code.`
    : how === "trusted"
      ? `Signed in as ${user.email} with the password alone.`
      : `Signed in as ${user.email} with ${how === "recovery" ? `a recovery code.${recoveryLeft(data)}` : "two-factor authentication."}`;
  const summary = skipped
    ? `Signed in as ${user.email} without a code: this computer is trusted.`
    : `${state.signedInAs}${data.twoFactorTrustId ? " This computer is now trusted, so the next sign-in skips the code." : ""}`;
  text("done-summary", summary);
  const claims = data.token ? decodeJwt(data.token) : {};
  byId("claims").replaceChildren(...Object.entries(claims).map(([name, value]) => claimRow(name, value)));
  byId("claims-table").hidden = !data.token;
  byId("no-token").hidden = Boolean(data.token);
  byId("token-panel").hidden = !data.token;
  text("token", data.token ?? "");
  showDisable();
  messages.done.clear();
  showStep("step-done");
  await showDevices();
}

/** " 9 recovery codes left." (after a recovery code), when the server said. */
function recoveryLeft(data: SignedIn): string {
  const left = data.user?.twoFactorRecoveryCodesRemaining;
  if (typeof left !== "number") return "";
  return ` ${left} recovery code${left === 1 ? "" : "s"} left.`;
}

/** Counts the lists asked for: only the latest one is shown. */
let devicesAsked = 0;

// The user's trusted devices: GET /api/user/two-factor/trust/{userId}, revoked one by one with
// DELETE …?deviceId= (a name for the device, not its trust id).
async function showDevices(): Promise<void> {
  const user = currentUser();
  const asked = ++devicesAsked;
  const section = byId("devices");
  section.hidden = !user.twoFactorEnabled;
  messages.devices.clear();
  // The list shown is the previous sign-in's, or has a revoked device: its Revoke buttons go at once.
  byId("device-list").replaceChildren();
  byId("devices-empty").hidden = true;
  if (!user.twoFactorEnabled) return section.removeAttribute("aria-busy");
  section.setAttribute("aria-busy", "true");
  const answer = await call("GET", `/api/user/two-factor/trust/${encodeURIComponent(user.id)}`, { apiKey: state.apiKey });
  const devices = answer.status === 200 ? (answer.data as { devices: Device[] }).devices : [];
  const mine = await thisDevice(user, devices);
  // A later sign-in or revoke asked again meanwhile: this answer may list a device gone since.
  if (asked !== devicesAsked) return;
  state.thisDevice = mine;
  byId("device-list").replaceChildren(...devices.map(deviceItem));
  byId("devices-empty").hidden = devices.length > 0;
  section.removeAttribute("aria-busy");
  if (answer.status !== 200) messages.devices.show("error", problemOf(answer).text);
}

/**
 * Which listed device is this browser: the one issued when this tab's trust id was
 * (GET /api/two-factor/status/{twoFactorTrustId} gives that instant; the list never shows trust ids).
 */
async function thisDevice(user: User, devices: Device[]): Promise<string | null> {
  if (!state.trustId || devices.length === 0) return null;
  const status = await call("GET", `/api/two-factor/status/${encodeURIComponent(state.trustId)}?userId=${encodeURIComponent(user.id)}`, {
    apiKey: state.apiKey,
  });
  const issued = status.status === 200 ? (status.data as { trusts?: Array<{ startInstant?: number }> }).trusts?.[0]?.startInstant : undefined;
  return devices.find((device) => device.issuedInstant === issued)?.id ?? null;
}

// User-agent tokens, first match wins: Edge's and Opera's also say Chrome, Chrome's says Safari,
// Android's says Linux.
const BROWSERS: Array<[RegExp, string]> = [
  [/Edg\//, "Edge"],
  [/OPR\//, "Opera"],
  [/Firefox\//, "Firefox"],
  [/Chrom(?:e|ium)\//, "Chrome"],
  [/Safari\//, "Safari"],
];
const SYSTEMS: Array<[RegExp, string]> = [
  [/Android/, "Android"],
  [/iPhone|iPad|iPod/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];
const firstMatch = (table: Array<[RegExp, string]>, agent: string) => table.find(([pattern]) => pattern.test(agent))?.[1];

/**
 * "Chrome on Linux": the browser and system this page runs in, from its user agent. The API keeps
 * no name for a trusted device, so only this browser's own device gets one.
 */
function browserName(agent = navigator.userAgent): string {
  const browser = firstMatch(BROWSERS, agent) ?? "A browser";
  const system = firstMatch(SYSTEMS, agent);
  return system ? `${browser} on ${system}` : browser;
}

const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

function deviceItem(device: Device): HTMLLIElement {
  const item = document.createElement("li");
  const about = document.createElement("div");
  const name = document.createElement("p");
  name.className = "device-name";
  const mine = device.id === state.thisDevice;
  name.textContent = mine ? `${browserName()} · this browser` : "Another browser or computer";
  const details = document.createElement("p");
  details.className = "hint";
  details.textContent = `Trusted ${when(device.issuedInstant)} · last used ${when(device.lastUsedInstant)} · until ${when(device.expirationInstant)}`;
  about.append(name, details);
  const revoke = document.createElement("button");
  revoke.type = "button";
  revoke.className = "secondary small";
  revoke.textContent = "Revoke";
  revoke.setAttribute("aria-label", `Revoke ${mine ? "this browser" : `the device trusted ${when(device.issuedInstant)}`}`);
  onClick(
    revoke,
    async () => {
      const user = currentUser();
      const answer = await call("DELETE", `/api/user/two-factor/trust/${encodeURIComponent(user.id)}?deviceId=${encodeURIComponent(device.id)}`, {
        apiKey: state.apiKey,
      });
      if (answer.status !== 200) return messages.devices.show("error", problemOf(answer).text);
      if (mine) {
        state.trustId = null;
        text("done-summary", `${state.signedInAs} This computer is no longer trusted: the next sign-in asks for a code.`);
      }
      await showDevices();
      // The button is gone: the focus goes back to the list's heading.
      byId("devices-title").focus();
      messages.devices.show("ok", "Revoked: a sign-in from that device asks for a code again.");
    },
    failed(messages.devices),
  );
  item.append(about, revoke);
  return item;
}

/** One row of the claims table: the claim (and what it means), its value in words where it has some. */
function claimRow(name: string, value: unknown): HTMLTableRowElement {
  const row = document.createElement("tr");
  const head = document.createElement("th");
  head.scope = "row";
  const code = document.createElement("code");
  // camelCase names break between their words on a phone ("authentication|Type"), never mid-word.
  code.append(...breakable(name, /(?<=[a-z])(?=[A-Z])|(?<=_)/));
  head.append(code);
  if (CLAIM_NAMES[name]) {
    const meaning = document.createElement("span");
    meaning.className = "claim-name";
    meaning.textContent = CLAIM_NAMES[name];
    head.append(meaning);
  }
  const cell = document.createElement("td");
  if (TIME_CLAIMS.has(name) && typeof value === "number") {
    cell.append(new Date(value * 1000).toLocaleString(), " ");
    const raw = document.createElement("code");
    raw.textContent = String(value);
    cell.append(raw);
  } else if (typeof value === "string" && !/\s/.test(value) && value.length > 12) {
    // Ids, emails, URLs: one long word each, in a box of their own that breaks after "@", "." or
    // "/" first (a dash is a break already), and anywhere only when a piece is still too long.
    const token = document.createElement("code");
    token.append(...breakable(value, /(?<=[@/])|(?=\.)/));
    cell.append(token);
  } else {
    cell.textContent = Array.isArray(value) ? value.join(", ") : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  row.append(head, cell);
  return row;
}

/** `text` as text nodes with a <wbr> (a line break opportunity) wherever `at` matches. */
function breakable(text: string, at: RegExp): Array<string | Node> {
  return text.split(at).flatMap((part, index) => (index === 0 ? [part] : [document.createElement("wbr"), part]));
}

/** The JWT payload (Base64URL JSON). For display only: the server verifies tokens, this page does not. */
function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const base64 = payload
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(payload.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

// Turning two-factor off again: DELETE /api/user/two-factor/{userId}?code=… with the API key.
codeField(input("disable-code"));

function showDisable(): void {
  const user = currentUser();
  const panel = byId<HTMLDetailsElement>("disable-panel");
  panel.hidden = !user.twoFactorEnabled;
  panel.open = false;
  input("disable-code").value = "";
  messages.disableCode.clear();
  const sms = state.method === "sms";
  button("disable-send").hidden = !sms;
  release(button("disable-send"));
  text("disable-hint", sms ? `Text a code to ${user.mobilePhone ?? "the phone"}, then enter it.` : "Enter the code your authenticator app shows now.");
}

onSubmit(
  form("disable-form"),
  async () => {
    const user = currentUser();
    const code = input("disable-code").value;
    if (!sixDigits(code)) return messages.disableCode.show("error", "Enter the 6-digit code.");
    const answer = await call("DELETE", `/api/user/two-factor/${encodeURIComponent(user.id)}?code=${code}`, { apiKey: state.apiKey });
    if (answer.status !== 200) return showCodeProblem(answer, messages.disableCode, input("disable-code"), "This user no longer exists.");
    user.twoFactorEnabled = false;
    state.trustId = null; // turning 2FA off revokes the user's trusted computers
    byId("disable-panel").hidden = true;
    byId("devices").hidden = true;
    messages.done.show("ok", `Two-factor is off for ${user.email}. Signing in now takes only the password.`);
    button("log-in-again").focus();
  },
  failed(messages.disableCode),
);

onClick(
  button("disable-send"),
  async () => {
    const user = currentUser();
    const answer = await call("POST", "/api/two-factor/send", { body: { userId: user.id }, apiKey: state.apiKey });
    if (answer.status === 429) return showWait(problemOf(answer), messages.disableCode, button("disable-send"), input("disable-code"));
    if (answer.status !== 200) return messages.disableCode.show("error", problemOf(answer).text);
    messages.disableCode.show("ok", `Code sent to ${user.mobilePhone ?? "the phone"}.`);
    input("disable-code").focus();
  },
  failed(messages.disableCode),
);

onClick(button("log-in-again"), showLogin, failed(messages.done));

function startOver(): void {
  Object.assign(state, { user: null, secret: null, twoFactorId: null, trustId: null, recoveryCodes: [], recoveryMode: false });
  form("user-form").reset();
  for (const message of [messages.email, messages.password, messages.mobilePhone, messages.userForm]) message.clear();
  showStep("step-user");
}
onClick(button("start-over"), startOver, failed(messages.done));
onClick(button("new-user"), startOver, failed(messages.loginPassword));

// Start: the key saved in this tab, if any.
input("api-key").value = state.apiKey;
if (state.apiKey) messages.apiKey.show("info", "Using the key saved in this tab.", { announce: false });
// On arrival the focus stays where the browser puts it; every later step moves it to its heading.
showStep("step-key", { focus: false });
