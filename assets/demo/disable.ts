// Turning two-factor off from the signed-in view: DELETE /api/user/two-factor/{userId}?code=… with
// the API key (the legacy call, which removes every method), and the view once two-factor is off.
import { call, problemOf } from "./api.js";
import { showCodeProblem, showWait, sixDigits } from "./codes.js";
import { hideOutbox, showOutbox } from "./outbox.js";
import { currentUser, destination, state } from "./state.js";
import { button, byId, codeField, failed, form, input, Message, onClick, onSubmit, release, text } from "./ui.js";

const codeMessage = Message.of("disable-code-msg", "disable-code");
/** The signed-in view's message under the panel. */
export const doneMessage = Message.of("disable-msg");

codeField(input("disable-code"));

export function showDisable(): void {
  const user = currentUser();
  const panel = byId<HTMLDetailsElement>("disable-panel");
  panel.hidden = !user.twoFactorEnabled;
  panel.open = false;
  input("disable-code").value = "";
  codeMessage.clear();
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
    if (!sixDigits(code)) return codeMessage.show("error", "Enter the 6-digit code.");
    const answer = await call("DELETE", `/api/user/two-factor/${encodeURIComponent(user.id)}?code=${code}`, { apiKey: state.apiKey });
    if (answer.status !== 200)
      return showCodeProblem(answer, codeMessage, input("disable-code"), "This user no longer exists.", state.method !== "authenticator");
    twoFactorOff();
  },
  failed(codeMessage),
);

onClick(
  button("disable-send"),
  async () => {
    const user = currentUser();
    // An email method's code by its id (the legacy disable takes it); a text by the legacy send.
    const email = emailMethod();
    const body = email ? { userId: user.id, methodId: email.id } : { userId: user.id };
    const answer = await call("POST", "/api/two-factor/send", { body, apiKey: state.apiKey });
    if (answer.status === 429) return showWait(problemOf(answer), codeMessage, button("disable-send"), input("disable-code"));
    if (answer.status !== 200) return codeMessage.show("error", problemOf(answer).text);
    codeMessage.show("ok", email ? `We emailed a code to ${destination(email)}.` : `Code sent to ${user.mobilePhone ?? "the phone"}.`);
    input("disable-code").focus();
    if (email?.email) await showOutbox(byId("disable-code-field"), email.email, state.apiKey);
  },
  failed(codeMessage),
);

/** Two-factor is off (turned off, or its last method removed): the signed-in view says so. */
export function twoFactorOff(): void {
  const user = currentUser();
  user.twoFactorEnabled = false;
  user.twoFactorDelivery = "None";
  state.trustId = null; // turning 2FA off revokes the user's trusted computers
  for (const id of ["disable-panel", "devices", "methods"]) byId(id).hidden = true;
  hideOutbox();
  doneMessage.show("ok", `Two-factor is off for ${user.email}. Signing in now takes only the password.`);
  button("log-in-again").focus();
}
