// The /demo page: FusionAuth 1.25's "Two Factor with Google Authenticator" and "Two Factor with
// Twilio Push Notifications" tutorials as one flow against this server's API, and the 1.26+
// Multi-Factor API's methods: a phone or an email address added, one removed, the one to use picked
// at sign-in. The API key lives in this tab only (sessionStorage).
import { call, problemOf, type Answer, type Problem } from "./api.js";
import { hideOutbox, refreshOutbox, showOutbox } from "./outbox.js";
import { announce, byId, codeField, failed, holdButton, Message, onClick, onSubmit, release, showStep } from "./ui.js";

/** The tutorials' example application: it becomes the token's "aud" claim. */
const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
const KEY_STORAGE = "two-factor-demo.apiKey";
/** The name authenticator apps show next to the account (the server's JWT issuer). */
const issuer = document.body.dataset.issuer || "acme.com";

/** A second factor as FusionAuth 1.26+ lists it (`user.twoFactor.methods`, the 242's `methods`). */
type TwoFactorMethod = { id: string; method: string; mobilePhone?: string; email?: string; lastUsed?: boolean; name?: string };
type User = {
  id: string;
  email: string;
  mobilePhone?: string;
  twoFactorEnabled?: boolean;
  twoFactorDelivery?: string;
  twoFactor?: { methods?: TwoFactorMethod[] };
};
type Secret = { secret: string; secretBase32Encoded: string };
type Twilio = { enabled?: boolean; url?: string };
type Method = "authenticator" | "sms" | "email";
/**
 * Where the code of this sign-in comes from: the app, or a text, sent by the login itself (a legacy
 * TextMessage enrolment) or, with `methodId`, by this page for that phone or email method; `to` is
 * where it went, as the page shows it.
 */
type CodeFrom = { method: Method; methodId?: string; to?: string };
/** A trusted device as GET /api/user/two-factor/trust/{userId} lists it (instants in ms). */
type Device = { id: string; applicationId?: string; issuedInstant: number; lastUsedInstant: number; expirationInstant: number };

const state: {
  apiKey: string;
  user: User | null;
  secret: Secret | null;
  method: Method;
  twoFactorId: string | null;
  /** The methods the 242 listed: with more than one, the person picks. */
  loginMethods: TwoFactorMethod[];
  codeFrom: CodeFrom;
  /** The authenticator set-up step adds a method to a signed-in user (1.26+) instead of turning two-factor on. */
  addingApp: boolean;
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
  addingApp: false,
  removing: null,
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
  choose: Message.of("choose-msg"),
  methods: Message.of("methods-msg"),
  removeCode: Message.of("remove-code-msg", "remove-code"),
  addPhone: Message.of("add-phone-msg", "add-phone"),
  addPhoneCode: Message.of("add-phone-code-msg", "add-phone-code"),
  disableCode: Message.of("disable-code-msg", "disable-code"),
  done: Message.of("disable-msg"),
};

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
function showCodeProblem(answer: Answer, where: Message, field: HTMLInputElement, notFound: string, sent: boolean): void {
  const problem = problemOf(answer, { notFound });
  field.select();
  if (problem.nextCodeIn === undefined) return where.show(problem.tone, problem.text);
  if (sent) return where.show("warn", "That code was already used. Send yourself a new one.");
  where.countdown(
    "warn",
    problem.nextCodeIn,
    (left) => `That code was just used. Your app shows a new one in ${left} s.`,
    () => where.show("info", "Your app shows a new code now. Enter it."),
  );
}

const sixDigits = (value: string) => /^\d{6}$/.test(value);

/**
 * "j…@example.com": an address as sign-in pages show it, its local part cut to the first character.
 * A word joiner (U+2060) after the ellipsis, which lines may break after (Unicode UAX #14), keeps
 * it on one line.
 */
const maskedEmail = (email: string | undefined) => {
  const at = email?.lastIndexOf("@") ?? -1;
  return email && at > 0 ? `${email[0]}…\u2060${email.slice(at)}` : "the email address";
};

/** A method whose codes are sent (by text or email) rather than shown by an app. */
const sendsCodes = (method: TwoFactorMethod) => method.method === "sms" || method.method === "email";

/** Where a sent method's codes go, as the page shows it: the phone, or the address cut short. */
const destination = (method: TwoFactorMethod) => (method.method === "email" ? maskedEmail(method.email) : (method.mobilePhone ?? "the phone"));

const sentBy = (method: Method) => (method === "email" ? "emailed" : "texted");

/** A send button back to its first state (no hold, the main action). */
function resetSend(send: HTMLButtonElement, label: string): void {
  release(send);
  send.className = "primary";
  send.textContent = label;
}

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
    const checked = form("method-form").querySelector<HTMLInputElement>("input[name=method]:checked")?.value;
    state.method = checked === "sms" || checked === "email" ? checked : "authenticator";
    if (state.method === "email") return showEmail();
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
  button("authenticator-submit").textContent = state.addingApp ? "Add this app" : "Turn on two-factor";
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
    if (state.addingApp) return addApp(code);
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
  resetSend(button("send-code"), "Text me a code");
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
    await sendEnrolmentCode({ mobilePhone, secret: state.secret!.secret }, `Code sent to ${mobilePhone}.`, {
      where: messages.smsPhone,
      send: button("send-code"),
      codeForm: form("sms-form"),
      codeInput: input("sms-code"),
    });
  },
  failed(messages.smsPhone),
);

type EnrolmentForms = { where: Message; send: HTMLButtonElement; codeForm: HTMLFormElement; codeInput: HTMLInputElement };

/**
 * Sends a code to enrol a phone or an address (`body`: the legacy or the 1.26+ form of POST
 * /api/two-factor/send), then says `sent` and shows the code's form; the send button becomes "Send
 * again". Answers whether the code went.
 */
async function sendEnrolmentCode(body: Record<string, string>, sent: string, { where, send, codeForm, codeInput }: EnrolmentForms): Promise<boolean> {
  const answer = await call("POST", "/api/two-factor/send", { body, apiKey: state.apiKey });
  if (answer.status === 429) {
    showWait(problemOf(answer), where, send, codeInput);
    return false;
  }
  if (answer.status !== 200) {
    where.show("error", problemOf(answer).text);
    return false;
  }
  release(send);
  send.className = "secondary";
  send.textContent = "Send again";
  codeForm.hidden = false;
  where.show("ok", sent);
  codeInput.focus();
  return true;
}

/**
 * An address field with its send button, and the form of the code emailed to it (ids `${id}`,
 * `${id}-form`, `${id}-send`, `${id}-code-form`, `${id}-code`, and `-msg` after a field's id): the
 * code emailed to enrol the address (1.26+), the newest email to it shown from the local outbox, then
 * the email method added with it (POST /api/user/two-factor/{userId} `{method: "email", email,
 * code}`). `enabled` gets the recovery codes a first method comes with (none for a further one).
 * Answers a reset to the address field holding `address`, no code asked for yet.
 */
function emailEnrolment(id: string, enabled: (email: string, recoveryCodes: string[]) => Promise<void>): (address: string) => void {
  const where = Message.of(`${id}-msg`, id);
  const codeWhere = Message.of(`${id}-code-msg`, `${id}-code`);
  const forms = { where, send: button(`${id}-send`), codeForm: form(`${id}-code-form`), codeInput: input(`${id}-code`) };
  codeField(forms.codeInput);
  onSubmit(
    form(`${id}-form`),
    async () => {
      const email = input(id).value.trim();
      if (!email) return where.show("error", "Enter the address to email codes to.");
      const body = { userId: currentUser().id, method: "email", email };
      if (await sendEnrolmentCode(body, `We emailed a code to ${maskedEmail(email)}.`, forms)) await showOutbox(forms.codeForm, email, state.apiKey);
    },
    failed(where),
  );
  onSubmit(
    forms.codeForm,
    async () => {
      const email = input(id).value.trim();
      const code = forms.codeInput.value;
      if (!sixDigits(code)) return codeWhere.show("error", "Enter the 6 digits from the email.");
      const user = currentUser();
      const body = { method: "email", email, code };
      const answer = await call("POST", `/api/user/two-factor/${encodeURIComponent(user.id)}`, { body, apiKey: state.apiKey });
      if (answer.status !== 200) return showCodeProblem(answer, codeWhere, forms.codeInput, "This user no longer exists. Start over with a new user.", true);
      hideOutbox();
      user.twoFactorEnabled = true;
      await enabled(email, (answer.data as { recoveryCodes?: string[] } | null)?.recoveryCodes ?? []);
    },
    failed(codeWhere),
  );
  return (address) => {
    input(id).value = address;
    forms.codeInput.value = "";
    forms.codeForm.hidden = true;
    resetSend(forms.send, "Email me a code");
    where.clear();
    codeWhere.clear();
    hideOutbox();
  };
}

// Step 4c: codes by email (FusionAuth 1.26+), the first method of a user without two-factor.
const resetEnrolEmail = emailEnrolment("enrol-email", (_email, recoveryCodes) => showRecoveryCodes(recoveryCodes));

function showEmail(): void {
  resetEnrolEmail(currentUser().email);
  showStep("step-email");
}

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
  if (answer.status !== 200)
    return showCodeProblem(answer, where, field, "This user no longer exists. Start over with a new user.", delivery === "TextMessage");
  user.twoFactorEnabled = true;
  user.twoFactorDelivery = delivery;
  await showRecoveryCodes();
}

// Step 4d: recovery codes (FusionAuth 1.26's shape), shown once: those a 1.26+ enable answered
// (`given`), else asked for right after a legacy enable.
async function showRecoveryCodes(given: string[] = []): Promise<void> {
  const user = currentUser();
  messages.recovery.clear();
  const answer = given.length ? null : await call("POST", `/api/user/two-factor/recovery-code/${encodeURIComponent(user.id)}`, { apiKey: state.apiKey });
  state.recoveryCodes = given.length ? given : answer?.status === 200 ? (answer.data as { recoveryCodes: string[] }).recoveryCodes : [];
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
      ? `Two-factor is on for ${user.email}. If the ${state.method === "email" ? "mailbox" : "phone"} is lost, each of these codes stands in for a code once. They are shown only now: copy or download them.`
      : `Two-factor is on for ${user.email}.`,
  );
  showStep("step-recovery");
  if (answer && answer.status !== 200) messages.recovery.show("error", `No recovery codes this time: ${problemOf(answer).text}`);
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
    const { twoFactorId, methods } = answer.data as { twoFactorId: string; methods?: TwoFactorMethod[] };
    state.twoFactorId = twoFactorId;
    state.loginMethods = methods ?? [];
    if (state.loginMethods.length > 1) return showChooser();
    const [only] = state.loginMethods;
    // One phone or email method of the 1.26+ API: the login sends nothing, so the page asks for its code.
    if (only && sendsCodes(only)) return chooseMethod(only, messages.loginPassword);
    await showCode(appOrLegacyText());
  },
  failed(messages.loginPassword),
);

/** A legacy TextMessage enrolment: the login itself texts the code of the user's authenticator method. */
const textedByLogin = () => currentUser().twoFactorDelivery === "TextMessage";

/** The code of the authenticator method: from the app, or texted by the login (legacy TextMessage). */
const appOrLegacyText = (): CodeFrom => (textedByLogin() ? { method: "sms", to: currentUser().mobilePhone } : { method: "authenticator" });

// Step 6a: with several methods, the person picks one (FusionAuth 1.26+).
function showChooser(): void {
  const user = currentUser();
  text("choose-lead", `${user.email} has ${state.loginMethods.length} ways to get a code. Pick one.`);
  messages.choose.clear();
  byId("method-choices").replaceChildren(
    ...state.loginMethods.map((method) => {
      const item = document.createElement("li");
      const choice = document.createElement("button");
      choice.type = "button";
      choice.className = "secondary";
      choice.textContent =
        method.method === "sms"
          ? `Text a code to ${destination(method)}`
          : method.method === "email"
            ? `Email a code to ${destination(method)}`
            : textedByLogin()
              ? `Use the code texted to ${user.mobilePhone ?? "the phone"}`
              : "Use my authenticator app";
      onClick(choice, () => chooseMethod(method, messages.choose, choice), failed(messages.choose));
      item.append(choice);
      return item;
    }),
  );
  showStep("step-choose");
}

/**
 * Goes on with `method`: a phone or email method gets its code sent for this login
 * (POST /api/two-factor/send/{twoFactorId} with `{methodId}`, no credentials), then the code step.
 */
async function chooseMethod(method: TwoFactorMethod, where: Message, choice?: HTMLButtonElement): Promise<void> {
  if (!sendsCodes(method)) return showCode(appOrLegacyText());
  const kind = method.method === "email" ? "email" : "sms";
  const to = destination(method);
  const answer = await call("POST", `/api/two-factor/send/${encodeURIComponent(state.twoFactorId ?? "")}`, { body: { methodId: method.id } });
  if (answer.status === 429 && choice) return showWait(problemOf(answer), where, choice, byId("step-choose-title"));
  if (answer.status !== 200) return where.show("error", `No code was ${sentBy(kind)} to ${to}. ${problemOf(answer, { notFound: expired }).text}`);
  await showCode({ method: kind, methodId: method.id, to });
}

onClick(button("choose-back"), showLogin, failed(messages.choose));
onClick(button("other-method"), showChooser, failed(messages.loginCode));

// Step 6b: the code.
codeField(input("login-code"));

/** The code step; for an email method, with the newest email to it from the local outbox. */
async function showCode(from: CodeFrom): Promise<void> {
  const user = currentUser();
  state.codeFrom = from;
  const sent = from.method !== "authenticator";
  const to = from.to ?? "the user's phone";
  text(
    "code-lead",
    !sent
      ? `Open your authenticator app and enter the code for ${issuer} (${user.email}).`
      : from.methodId
        ? `We ${sentBy(from.method)} a 6-digit code to ${to}.`
        : // The 242 does not say whether the login's text went out (FusionAuth keeps it when the text fails).
          `The server texts a 6-digit code to ${to} at sign-in. No text? "Send a new code" says why.`,
  );
  button("resend").hidden = !sent;
  button("other-method").hidden = state.loginMethods.length < 2;
  release(button("resend"));
  input("login-code").value = "";
  input("trust-computer").checked = false;
  messages.loginCode.clear();
  messages.resend.clear();
  input("recovery-code").value = "";
  useRecoveryCode(false);
  hideOutbox();
  showStep("step-code");
  const email = from.method === "email" ? state.loginMethods.find((method) => method.id === from.methodId)?.email : undefined;
  if (email) await showOutbox(form("code-form"), email, state.apiKey);
}

/** "a text message", "an email" or "the app": where the six-digit codes of this sign-in come from. */
const codeSource = (method: Method) => (method === "sms" ? "a text message" : method === "email" ? "an email" : "the app");

/** Switches the second-factor step between the six-digit code and a recovery code. */
function useRecoveryCode(on: boolean, focus = false): void {
  state.recoveryMode = on;
  byId("login-code-field").hidden = on;
  byId("recovery-code-field").hidden = !on;
  button("use-recovery").textContent = on ? `Use a code from ${codeSource(state.codeFrom.method)}` : "Use a recovery code";
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
    if (!recovery) return showCodeProblem(answer, messages.loginCode, input("login-code"), expired, state.codeFrom.method !== "authenticator");
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
    // A method chosen at sign-in gets a new code by its id; without one, the legacy resend.
    const { method, methodId, to = "the phone" } = state.codeFrom;
    const answer = await call("POST", `/api/two-factor/send/${encodeURIComponent(state.twoFactorId ?? "")}`, { body: methodId ? { methodId } : undefined });
    if (answer.status === 429) return showWait(problemOf(answer), messages.resend, button("resend"), input("login-code"));
    if (answer.status !== 200) {
      const problem = problemOf(answer, { notFound: expired });
      text("code-lead", `No code was ${sentBy(method)} to ${to}. ${problem.text}`);
      return messages.resend.show("error", problem.text);
    }
    text("code-lead", `We ${sentBy(method)} a 6-digit code to ${to}.`);
    messages.resend.show("ok", `A new code is on its way to ${to}.`);
    if (method === "email") await refreshOutbox();
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
  // The login's own user: its methods show which one was used last (the User API's copy follows later).
  if (data.user) state.user = { ...currentUser(), ...data.user };
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
  showMethods(user.twoFactor?.methods ?? []);
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
  const email = emailMethod();
  const sent = state.method === "sms" || email !== undefined;
  button("disable-send").hidden = !sent;
  release(button("disable-send"));
  button("disable-send").textContent = email ? "Email me a code" : "Text me a code";
  text(
    "disable-hint",
    email
      ? `Email a code to ${destination(email)}, then enter it.`
      : sent
        ? `Text a code to ${user.mobilePhone ?? "the phone"}, then enter it.`
        : "Enter the code your authenticator app shows now.",
  );
}

/** The email method of a user who turned two-factor on with email: its code turns two-factor off. */
const emailMethod = () => (state.method === "email" ? currentUser().twoFactor?.methods?.find((method) => method.method === "email") : undefined);

onSubmit(
  form("disable-form"),
  async () => {
    const user = currentUser();
    const code = input("disable-code").value;
    if (!sixDigits(code)) return messages.disableCode.show("error", "Enter the 6-digit code.");
    const answer = await call("DELETE", `/api/user/two-factor/${encodeURIComponent(user.id)}?code=${code}`, { apiKey: state.apiKey });
    if (answer.status !== 200)
      return showCodeProblem(answer, messages.disableCode, input("disable-code"), "This user no longer exists.", state.method !== "authenticator");
    twoFactorOff();
  },
  failed(messages.disableCode),
);

onClick(
  button("disable-send"),
  async () => {
    const user = currentUser();
    // An email method's code by its id (the legacy disable takes it); a text by the legacy send.
    const email = emailMethod();
    const body = email ? { userId: user.id, methodId: email.id } : { userId: user.id };
    const answer = await call("POST", "/api/two-factor/send", { body, apiKey: state.apiKey });
    if (answer.status === 429) return showWait(problemOf(answer), messages.disableCode, button("disable-send"), input("disable-code"));
    if (answer.status !== 200) return messages.disableCode.show("error", problemOf(answer).text);
    messages.disableCode.show("ok", email ? `We emailed a code to ${destination(email)}.` : `Code sent to ${user.mobilePhone ?? "the phone"}.`);
    input("disable-code").focus();
    if (email?.email) await showOutbox(byId("disable-code-field"), email.email, state.apiKey);
  },
  failed(messages.disableCode),
);

/** Two-factor is off (turned off, or its last method removed): the signed-in view says so. */
function twoFactorOff(): void {
  const user = currentUser();
  user.twoFactorEnabled = false;
  user.twoFactorDelivery = "None";
  state.trustId = null; // turning 2FA off revokes the user's trusted computers
  for (const id of ["disable-panel", "devices", "methods"]) byId(id).hidden = true;
  hideOutbox();
  messages.done.show("ok", `Two-factor is off for ${user.email}. Signing in now takes only the password.`);
  button("log-in-again").focus();
}

// The user's methods (FusionAuth 1.26+): listed, one removed at a time, a phone or an address added.
function methodName(method: TwoFactorMethod): string {
  const kind =
    method.method === "sms"
      ? `Text messages to ${method.mobilePhone ?? "a phone"}`
      : method.method === "email"
        ? `Email to ${method.email ?? "an address"}`
        : textedByLogin()
          ? `Codes texted to ${currentUser().mobilePhone ?? "the phone"}`
          : "Authenticator app";
  return method.name ? `${kind} · ${method.name}` : kind;
}

function showMethods(methods: TwoFactorMethod[]): void {
  byId("methods").hidden = methods.length === 0;
  byId("method-list").replaceChildren(...methods.map(methodItem));
  messages.methods.clear();
  closeRemove();
  const panel = byId<HTMLDetailsElement>("add-phone-panel");
  panel.open = false;
  input("add-phone").value = methods.some((method) => method.method === "sms") ? "" : (currentUser().mobilePhone ?? "");
  button("add-app").hidden = !textedByLogin() && methods.some((method) => method.method === "authenticator");
  input("add-phone-code").value = "";
  form("add-phone-code-form").hidden = true;
  resetSend(button("add-phone-send"), "Text me a code");
  for (const message of [messages.addPhone, messages.addPhoneCode]) message.clear();
  byId<HTMLDetailsElement>("add-email-panel").open = false;
  resetAddEmail(methods.some((method) => method.method === "email") ? "" : currentUser().email);
}

function methodItem(method: TwoFactorMethod): HTMLLIElement {
  const item = document.createElement("li");
  const about = document.createElement("div");
  const name = document.createElement("p");
  name.className = "device-name";
  name.textContent = methodName(method);
  const details = document.createElement("p");
  details.className = "hint";
  details.textContent = method.lastUsed ? "Last used to sign in" : "Not used for the last sign-in";
  about.append(name, details);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "secondary small";
  remove.textContent = "Remove";
  remove.setAttribute("aria-label", `Remove ${methodName(method)}`);
  onClick(remove, () => openRemove(method), failed(messages.methods));
  item.append(about, remove);
  return item;
}

/** Whether `method`'s codes are sent: a phone or email method, or a legacy TextMessage enrolment. */
const sentFor = (method: TwoFactorMethod) => sendsCodes(method) || textedByLogin();

/** The code that removes `method`: its app's code, or one sent for it (DELETE …?methodId=&code=). */
async function openRemove(method: TwoFactorMethod): Promise<void> {
  const user = currentUser();
  state.removing = method;
  messages.methods.clear();
  messages.removeCode.clear();
  hideOutbox();
  input("remove-code").value = "";
  const to = sendsCodes(method) ? destination(method) : (user.mobilePhone ?? "the phone");
  const verb = sentBy(method.method === "email" ? "email" : "sms");
  text("remove-label", sentFor(method) ? `Code ${verb} to ${to}` : "Code your authenticator app shows now");
  form("remove-form").hidden = false;
  input("remove-code").focus();
  if (!sentFor(method)) return;
  // A phone or email method's disable code by its id; a legacy TextMessage enrolment's code by the legacy send.
  const body = sendsCodes(method) ? { userId: user.id, methodId: method.id } : { userId: user.id };
  const answer = await call("POST", "/api/two-factor/send", { body, apiKey: state.apiKey });
  if (answer.status !== 200) {
    const problem = problemOf(answer);
    return messages.removeCode.show(problem.tone, problem.waitSeconds ? `${problem.text} Try again in ${problem.waitSeconds} s.` : problem.text);
  }
  if (method.method !== "email" || !method.email) return messages.removeCode.show("ok", `Code sent to ${to}.`);
  messages.removeCode.show("ok", `We emailed a code to ${to}.`);
  await showOutbox(form("remove-form"), method.email, state.apiKey);
}

function closeRemove(): void {
  state.removing = null;
  form("remove-form").hidden = true;
  messages.removeCode.clear();
  hideOutbox();
}

codeField(input("remove-code"));
onClick(button("remove-cancel"), closeRemove, failed(messages.removeCode));

onSubmit(
  form("remove-form"),
  async () => {
    const user = currentUser();
    const method = state.removing;
    if (!method) return;
    const code = input("remove-code").value;
    if (!sixDigits(code)) return messages.removeCode.show("error", "Enter the 6-digit code.");
    const query = `methodId=${encodeURIComponent(method.id)}&code=${encodeURIComponent(code)}`;
    const answer = await call("DELETE", `/api/user/two-factor/${encodeURIComponent(user.id)}?${query}`, { apiKey: state.apiKey });
    if (answer.status !== 200) return showCodeProblem(answer, messages.removeCode, input("remove-code"), "This user no longer exists.", sentFor(method));
    const removed = methodName(method);
    const left = await reloadMethods();
    if (left === 0) return twoFactorOff();
    messages.methods.show("ok", `Removed: ${removed}.`);
    byId("methods-title").focus();
  },
  failed(messages.removeCode),
);

/** The user's methods again (GET /api/user/{id}), shown; answers how many there are. */
async function reloadMethods(): Promise<number> {
  const user = currentUser();
  const answer = await call("GET", `/api/user/${encodeURIComponent(user.id)}`, { apiKey: state.apiKey });
  if (answer.status !== 200) {
    messages.methods.show("error", problemOf(answer, { notFound: "This user no longer exists." }).text);
    return user.twoFactor?.methods?.length ?? 0;
  }
  state.user = { ...user, ...(answer.data as { user: User }).user };
  const methods = state.user.twoFactor?.methods ?? [];
  showMethods(methods);
  return methods.length;
}

// An authenticator app beside the user's other methods (POST /api/user/two-factor/{userId} with
// `{method: "authenticator", code, secret}`), set up on the authenticator step.
onClick(
  button("add-app"),
  async () => {
    const answer = await call("GET", "/api/two-factor/secret", { apiKey: state.apiKey });
    if (answer.status !== 200) return messages.methods.show("error", problemOf(answer).text);
    state.secret = answer.data as Secret;
    state.addingApp = true;
    await showAuthenticator();
  },
  failed(messages.methods),
);

async function addApp(code: string): Promise<void> {
  const user = currentUser();
  const body = { method: "authenticator", code, secret: state.secret!.secret };
  const answer = await call("POST", `/api/user/two-factor/${encodeURIComponent(user.id)}`, { body, apiKey: state.apiKey });
  if (answer.status !== 200) return showCodeProblem(answer, messages.authenticatorCode, input("authenticator-code"), "This user no longer exists.", false);
  state.addingApp = false;
  showStep("step-done", { focus: false });
  await reloadMethods();
  messages.methods.show("ok", "Authenticator app added. The next sign-in asks which method to use.");
  byId("methods-title").focus();
}

codeField(input("add-phone-code"));

onSubmit(
  form("add-phone-form"),
  async () => {
    const user = currentUser();
    const mobilePhone = input("add-phone").value.trim();
    if (!mobilePhone) return messages.addPhone.show("error", "Enter the phone number to text.");
    await sendEnrolmentCode({ userId: user.id, method: "sms", mobilePhone }, `Code sent to ${mobilePhone}.`, {
      where: messages.addPhone,
      send: button("add-phone-send"),
      codeForm: form("add-phone-code-form"),
      codeInput: input("add-phone-code"),
    });
  },
  failed(messages.addPhone),
);

onSubmit(
  form("add-phone-code-form"),
  async () => {
    const user = currentUser();
    const mobilePhone = input("add-phone").value.trim();
    const code = input("add-phone-code").value;
    if (!sixDigits(code)) return messages.addPhoneCode.show("error", "Enter the 6 digits from the text message.");
    const body = { method: "sms", mobilePhone, code };
    const answer = await call("POST", `/api/user/two-factor/${encodeURIComponent(user.id)}`, { body, apiKey: state.apiKey });
    if (answer.status !== 200) {
      return showCodeProblem(answer, messages.addPhoneCode, input("add-phone-code"), "This user no longer exists.", true);
    }
    await reloadMethods();
    messages.methods.show("ok", `${mobilePhone} added. The next sign-in asks which method to use.`);
    byId("methods-title").focus();
  },
  failed(messages.addPhoneCode),
);

// An email address beside the user's other methods. A first method (two-factor was off) comes
// with recovery codes, shown once as after any first enable.
const resetAddEmail = emailEnrolment("add-email", async (email, recoveryCodes) => {
  if (recoveryCodes.length) return showRecoveryCodes(recoveryCodes);
  await reloadMethods();
  messages.methods.show("ok", `${email} added. The next sign-in asks which method to use.`);
  byId("methods-title").focus();
});

onClick(button("log-in-again"), showLogin, failed(messages.done));

function startOver(): void {
  Object.assign(state, {
    user: null,
    secret: null,
    twoFactorId: null,
    trustId: null,
    loginMethods: [],
    addingApp: false,
    recoveryCodes: [],
    recoveryMode: false,
  });
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
