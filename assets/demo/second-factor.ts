// Step 6: the second factor of a sign-in that answered 242. With several methods (FusionAuth
// 1.26+) the person picks one first; then the code, from the app, a text or an email, or a
// recovery code instead (POST /api/two-factor/login), and "Send a new code".
import { call, problemOf } from "./api.js";
import { showCodeProblem, showWait, sixDigits } from "./codes.js";
import { hideOutbox, refreshOutbox, showOutbox } from "./outbox.js";
import { signedIn, type SignedIn } from "./signed-in.js";
import {
  APPLICATION_ID,
  currentUser,
  destination,
  issuer,
  sendsCodes,
  sentBy,
  state,
  textedByLogin,
  type CodeFrom,
  type Method,
  type TwoFactorMethod,
} from "./state.js";
import { button, byId, codeField, failed, form, input, Message, onClick, onSubmit, release, showStep, text } from "./ui.js";

export const chooseMessage = Message.of("choose-msg");
export const codeMessage = Message.of("login-code-msg", "login-code");
const recoveryCodeMessage = Message.of("recovery-code-msg", "recovery-code");
const resendMessage = Message.of("resend-msg");

const expired = "This sign-in has expired. Start again.";

/** The code of the authenticator method: from the app, or texted by the login (legacy TextMessage). */
export const appOrLegacyText = (): CodeFrom => (textedByLogin() ? { method: "sms", to: currentUser().mobilePhone } : { method: "authenticator" });

// Step 6a: with several methods, the person picks one (FusionAuth 1.26+).
export function showChooser(): void {
  const user = currentUser();
  text("choose-lead", `${user.email} has ${state.loginMethods.length} ways to get a code. Pick one.`);
  chooseMessage.clear();
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
      onClick(choice, () => chooseMethod(method, chooseMessage, choice), failed(chooseMessage));
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
export async function chooseMethod(method: TwoFactorMethod, where: Message, choice?: HTMLButtonElement): Promise<void> {
  if (!sendsCodes(method)) return showCode(appOrLegacyText());
  const kind = method.method === "email" ? "email" : "sms";
  const to = destination(method);
  const answer = await call("POST", `/api/two-factor/send/${encodeURIComponent(state.twoFactorId ?? "")}`, { body: { methodId: method.id } });
  if (answer.status === 429 && choice) return showWait(problemOf(answer), where, choice, byId("step-choose-title"));
  if (answer.status !== 200) return where.show("error", `No code was ${sentBy(kind)} to ${to}. ${problemOf(answer, { notFound: expired }).text}`);
  await showCode({ method: kind, methodId: method.id, to });
}

onClick(button("other-method"), showChooser, failed(codeMessage));

// Step 6b: the code.
codeField(input("login-code"));

/** The code step; for an email method, with the newest email to it from the local outbox. */
export async function showCode(from: CodeFrom): Promise<void> {
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
  codeMessage.clear();
  resendMessage.clear();
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
  codeMessage.clear();
  recoveryCodeMessage.clear();
  if (focus) input(on ? "recovery-code" : "login-code").focus();
}

onClick(button("use-recovery"), () => useRecoveryCode(!state.recoveryMode, true), failed(codeMessage));

/**
 * What people type for `7K2QD-M0XW9`: ten letters and digits, any case, maybe a space or dash between
 * the groups. The server reads lookalikes (O for 0, I or L for 1) and earlier codes' alphabet.
 */
const RECOVERY_CODE = /^[A-Za-z0-9]{5}[\s-]?[A-Za-z0-9]{5}$/;

onSubmit(
  form("code-form"),
  async () => {
    const recovery = state.recoveryMode;
    const code = recovery ? input("recovery-code").value.trim() : input("login-code").value;
    if (recovery && !RECOVERY_CODE.test(code)) return recoveryCodeMessage.show("error", "Enter a recovery code: ten letters and digits, like 7K2QD-M0XW9.");
    if (!recovery && !sixDigits(code)) return codeMessage.show("error", "Enter the 6-digit code.");
    // A recovery code goes in the same `code` field as a six-digit one.
    const body = { twoFactorId: state.twoFactorId, code, trustComputer: input("trust-computer").checked, applicationId: APPLICATION_ID };
    const answer = await call("POST", "/api/two-factor/login", { body });
    if (answer.status === 200) return signedIn(answer.data as SignedIn, recovery ? "recovery" : "code");
    if (!recovery) return showCodeProblem(answer, codeMessage, input("login-code"), expired, state.codeFrom.method !== "authenticator");
    input("recovery-code").select();
    const problem = problemOf(answer, { notFound: expired });
    recoveryCodeMessage.show("error", answer.status === 421 ? "That recovery code is not valid, or it was used already." : problem.text);
  },
  failed(codeMessage),
);

onClick(
  button("resend"),
  async () => {
    resendMessage.clear();
    // A method chosen at sign-in gets a new code by its id; without one, the legacy resend.
    const { method, methodId, to = "the phone" } = state.codeFrom;
    const answer = await call("POST", `/api/two-factor/send/${encodeURIComponent(state.twoFactorId ?? "")}`, { body: methodId ? { methodId } : undefined });
    if (answer.status === 429) return showWait(problemOf(answer), resendMessage, button("resend"), input("login-code"));
    if (answer.status !== 200) {
      const problem = problemOf(answer, { notFound: expired });
      text("code-lead", `No code was ${sentBy(method)} to ${to}. ${problem.text}`);
      return resendMessage.show("error", problem.text);
    }
    text("code-lead", `We ${sentBy(method)} a 6-digit code to ${to}.`);
    resendMessage.show("ok", `A new code is on its way to ${to}.`);
    if (method === "email") await refreshOutbox();
  },
  failed(resendMessage),
);
