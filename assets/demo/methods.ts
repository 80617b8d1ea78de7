// The signed-in user's methods (FusionAuth 1.26+): listed with the one used last, one removed at a
// time by its code, and an authenticator app, a phone or an address added.
import { call, problemOf } from "./api.js";
import { showAuthenticator } from "./authenticator.js";
import { sendEnrolmentCode, showCodeProblem, sixDigits } from "./codes.js";
import { twoFactorOff } from "./disable.js";
import { emailEnrolment } from "./email.js";
import { hideOutbox, showOutbox } from "./outbox.js";
import { showRecoveryCodes } from "./recovery.js";
import { currentUser, destination, sendsCodes, sentBy, state, textedByLogin, type Secret, type TwoFactorMethod, type User } from "./state.js";
import { button, byId, codeField, failed, form, input, Message, onClick, onSubmit, resetSend, showStep, text } from "./ui.js";

const messages = {
  methods: Message.of("methods-msg"),
  removeCode: Message.of("remove-code-msg", "remove-code"),
  addPhone: Message.of("add-phone-msg", "add-phone"),
  addPhoneCode: Message.of("add-phone-code-msg", "add-phone-code"),
};

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

export function showMethods(methods: TwoFactorMethod[]): void {
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
    await showAuthenticator("Add this app", addApp);
  },
  failed(messages.methods),
);

async function addApp(code: string, where: Message, field: HTMLInputElement): Promise<void> {
  const user = currentUser();
  const body = { method: "authenticator", code, secret: state.secret!.secret };
  const answer = await call("POST", `/api/user/two-factor/${encodeURIComponent(user.id)}`, { body, apiKey: state.apiKey });
  if (answer.status !== 200) return showCodeProblem(answer, where, field, "This user no longer exists.", false);
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
