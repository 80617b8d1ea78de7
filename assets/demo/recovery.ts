// Two-factor turned on, and the recovery codes (FusionAuth 1.26's shape) shown once: those a 1.26+
// enable answered, else asked for right after a legacy enable.
import { call, problemOf } from "./api.js";
import { showCodeProblem } from "./codes.js";
import { currentUser, issuer, state } from "./state.js";
import { button, byId, failed, Message, onClick, showStep, text } from "./ui.js";

export const recoveryMessage = Message.of("recovery-msg");

/** The legacy enable (POST /api/user/two-factor/{userId}) with the set-up step's code, then the recovery codes. */
export async function enable(code: string, delivery: "None" | "TextMessage", where: Message, field: HTMLInputElement): Promise<void> {
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

/** The recovery codes' step: `given` by a 1.26+ enable, else ten asked for now. */
export async function showRecoveryCodes(given: string[] = []): Promise<void> {
  const user = currentUser();
  recoveryMessage.clear();
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
  if (answer && answer.status !== 200) recoveryMessage.show("error", `No recovery codes this time: ${problemOf(answer).text}`);
}

/** Leaving the step: the codes are not kept. */
export function forgetRecoveryCodes(): void {
  state.recoveryCodes = [];
  byId("recovery-codes").replaceChildren();
}

/** The codes as a text file's lines. */
const recoveryText = () => [`Recovery codes for ${currentUser().email} (${issuer}). Each works once.`, "", ...state.recoveryCodes, ""].join("\n");

onClick(
  button("copy-codes"),
  async () => {
    try {
      await navigator.clipboard.writeText(recoveryText());
      recoveryMessage.show("ok", "Codes copied.");
    } catch {
      getSelection()?.selectAllChildren(byId("recovery-codes"));
      recoveryMessage.show("info", "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
    }
  },
  failed(recoveryMessage),
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
    recoveryMessage.show("ok", "Saved as recovery-codes.txt.");
  },
  failed(recoveryMessage),
);
