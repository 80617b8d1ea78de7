// The /demo page: FusionAuth 1.25's "Two Factor with Google Authenticator" and "Two Factor with
// Twilio Push Notifications" tutorials as one flow against this server's API, and the 1.26+
// Multi-Factor API's methods: a phone or an email address added, one removed, the one to use picked
// at sign-in. Each flow is a module of its own; this one loads them, moves between their views and
// starts the page.
import { doneMessage } from "./disable.js";
import { forgetRecoveryCodes, recoveryMessage } from "./recovery.js";
import { chooseMessage, codeMessage } from "./second-factor.js";
import { passwordMessage, showLogin } from "./sign-in.js";
import { keyMessage, startOver } from "./sign-up.js";
import { state } from "./state.js";
import { button, failed, input, onClick, showStep } from "./ui.js";

onClick(
  button("recovery-done"),
  () => {
    forgetRecoveryCodes();
    showLogin();
  },
  failed(recoveryMessage),
);
onClick(button("choose-back"), showLogin, failed(chooseMessage));
onClick(button("back-to-login"), showLogin, failed(codeMessage));
onClick(button("log-in-again"), showLogin, failed(doneMessage));
onClick(button("start-over"), startOver, failed(doneMessage));
onClick(button("new-user"), startOver, failed(passwordMessage));

// Start: the key saved in this tab, if any.
input("api-key").value = state.apiKey;
if (state.apiKey) keyMessage.show("info", "Using the key saved in this tab.", { announce: false });
// On arrival the focus stays where the browser puts it; every later step moves it to its heading.
showStep("step-key", { focus: false });
