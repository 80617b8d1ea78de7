// An email address as a two-factor method (FusionAuth 1.26+): the address, the code emailed to it
// (read from the local outbox panel where the server keeps one), and the method added with it.
// The sign-up's first method and the signed-in view's "Add an email address" are both this.
import { call } from "./api.js";
import { sendEnrolmentCode, showCodeProblem, sixDigits } from "./codes.js";
import { hideOutbox, showOutbox } from "./outbox.js";
import { currentUser, maskedEmail, state } from "./state.js";
import { button, codeField, failed, form, input, Message, onSubmit, resetSend } from "./ui.js";

/**
 * An address field with its send button, and the form of the code emailed to it (ids `${id}`,
 * `${id}-form`, `${id}-send`, `${id}-code-form`, `${id}-code`, and `-msg` after a field's id): the
 * code emailed to enrol the address (1.26+), the newest email to it shown from the local outbox, then
 * the email method added with it (POST /api/user/two-factor/{userId} `{method: "email", email,
 * code}`). `enabled` gets the recovery codes a first method comes with (none for a further one).
 * Answers a reset to the address field holding `address`, no code asked for yet.
 */
export function emailEnrolment(id: string, enabled: (email: string, recoveryCodes: string[]) => Promise<void>): (address: string) => void {
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
