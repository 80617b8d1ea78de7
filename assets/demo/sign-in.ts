// Step 5: signing in with the password (POST /api/login). 200 signs in at once (two-factor off, or
// this computer trusted); 242 goes on to the second factor.
import { call, problemOf } from "./api.js";
import { appOrLegacyText, chooseMethod, showChooser, showCode } from "./second-factor.js";
import { signedIn, type SignedIn } from "./signed-in.js";
import { APPLICATION_ID, currentUser, sendsCodes, state, type TwoFactorMethod } from "./state.js";
import { failed, form, input, Message, onSubmit, showStep, text } from "./ui.js";

const emailMessage = Message.of("login-email-msg", "login-email");
export const passwordMessage = Message.of("login-password-msg", "login-password");

export function showLogin(): void {
  const user = currentUser();
  input("login-email").value = user.email;
  input("login-password").value = "";
  for (const message of [emailMessage, passwordMessage]) message.clear();
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
    if (!password) return passwordMessage.show("error", "Enter the password.");
    const body: Record<string, string> = { loginId, password, applicationId: APPLICATION_ID };
    if (state.trustId) body.twoFactorTrustId = state.trustId;
    const answer = await call("POST", "/api/login", { body, apiKey: state.apiKey });
    if (answer.status === 200) return signedIn(answer.data as SignedIn, "trusted");
    if (answer.status !== 242) return passwordMessage.show("error", problemOf(answer, { notFound: "Wrong email or password." }).text);
    const { twoFactorId, methods } = answer.data as { twoFactorId: string; methods?: TwoFactorMethod[] };
    state.twoFactorId = twoFactorId;
    state.loginMethods = methods ?? [];
    if (state.loginMethods.length > 1) return showChooser();
    const [only] = state.loginMethods;
    // One phone or email method of the 1.26+ API: the login sends nothing, so the page asks for its code.
    if (only && sendsCodes(only)) return chooseMethod(only, passwordMessage);
    await showCode(appOrLegacyText());
  },
  failed(passwordMessage),
);
