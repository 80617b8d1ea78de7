// Text messages through Twilio as the first method (the Twilio tutorial): the Twilio settings,
// prefilled for the fake and folded away once saved, a code texted to the user's phone, and
// two-factor turned on with it.
import { call, problemOf } from "./api.js";
import { sendEnrolmentCode, sixDigits } from "./codes.js";
import { enable } from "./recovery.js";
import { currentUser, state, type User } from "./state.js";
import { announce, button, byId, codeField, failed, form, input, Message, onSubmit, resetSend, showProblem, showStep } from "./ui.js";

type Twilio = { enabled?: boolean; url?: string };

const messages = {
  twilioUrl: Message.of("twilio-url-msg", "twilio-url"),
  twilioSid: Message.of("twilio-sid-msg", "twilio-sid"),
  twilioToken: Message.of("twilio-token-msg", "twilio-token"),
  twilioFrom: Message.of("twilio-from-msg", "twilio-from"),
  twilioForm: Message.of("twilio-form-msg"),
  smsPhone: Message.of("sms-phone-msg", "sms-phone"),
  smsCode: Message.of("sms-code-msg", "sms-code"),
};

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

export async function showSms(): Promise<void> {
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

onSubmit(
  form("sms-form"),
  async () => {
    const code = input("sms-code").value;
    if (!sixDigits(code)) return messages.smsCode.show("error", "Enter the 6 digits from the text message.");
    await enable(code, "TextMessage", messages.smsCode, input("sms-code"));
  },
  failed(messages.smsCode),
);
