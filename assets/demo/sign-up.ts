// The tutorials' first half up to the set-up step: the API key, a new user, and the method that
// turns two-factor on for them (the authenticator app, a text message, or email).
import { call, problemOf } from "./api.js";
import { showAuthenticator } from "./authenticator.js";
import { emailEnrolment } from "./email.js";
import { enable, showRecoveryCodes } from "./recovery.js";
import { showSms } from "./sms.js";
import { currentUser, KEY_STORAGE, state, type Secret, type User } from "./state.js";
import { announce, failed, form, input, Message, onSubmit, showProblem, showStep, text } from "./ui.js";

export const keyMessage = Message.of("api-key-msg", "api-key");
const messages = {
  email: Message.of("email-msg", "email"),
  password: Message.of("password-msg", "password"),
  mobilePhone: Message.of("mobile-phone-msg", "mobile-phone"),
  userForm: Message.of("user-form-msg"),
  methodForm: Message.of("method-form-msg"),
};

// Step 1: the API key.
onSubmit(
  form("key-form"),
  async () => {
    const apiKey = input("api-key").value.trim();
    if (!apiKey) return keyMessage.show("error", "Enter the API key that npm start printed.");
    // Any API-key call proves the key; this one is harmless.
    const answer = await call("GET", "/api/integration", { apiKey });
    if (answer.status !== 200) return keyMessage.show("error", problemOf(answer).text);
    state.apiKey = apiKey;
    sessionStorage.setItem(KEY_STORAGE, apiKey);
    showStep("step-user");
    announce("API key accepted.");
  },
  failed(keyMessage),
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

/** Back to step 2 with nothing of the previous user kept. */
export function startOver(): void {
  Object.assign(state, {
    user: null,
    secret: null,
    twoFactorId: null,
    trustId: null,
    loginMethods: [],
    recoveryCodes: [],
    recoveryMode: false,
  });
  form("user-form").reset();
  for (const message of [messages.email, messages.password, messages.mobilePhone, messages.userForm]) message.clear();
  showStep("step-user");
}

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
    else await showAuthenticator("Turn on two-factor", (code, where, field) => enable(code, "None", where, field));
  },
  failed(messages.methodForm),
);

// Step 4c: codes by email (FusionAuth 1.26+), the first method of a user without two-factor.
const resetEnrolEmail = emailEnrolment("enrol-email", (_email, recoveryCodes) => showRecoveryCodes(recoveryCodes));

function showEmail(): void {
  resetEnrolEmail(currentUser().email);
  showStep("step-email");
}
