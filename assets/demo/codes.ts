// Codes asked for and typed, as every flow handles them: the six-digit check, a 429's wait, a
// refused code, and a code sent to enrol a phone or an address.
import { call, problemOf, type Answer, type Problem } from "./api.js";
import { state } from "./state.js";
import { holdButton, release, type Message } from "./ui.js";

export const sixDigits = (value: string) => /^\d{6}$/.test(value);

/** 429: the wait counted down next to the button, which stays disabled meanwhile. */
export function showWait(problem: Problem, where: Message, sendButton: HTMLButtonElement, focusTo: HTMLElement): void {
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
export function showCodeProblem(answer: Answer, where: Message, field: HTMLInputElement, notFound: string, sent: boolean): void {
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

export type EnrolmentForms = { where: Message; send: HTMLButtonElement; codeForm: HTMLFormElement; codeInput: HTMLInputElement };

/**
 * Sends a code to enrol a phone or an address (`body`: the legacy or the 1.26+ form of POST
 * /api/two-factor/send), then says `sent` and shows the code's form; the send button becomes "Send
 * again". Answers whether the code went.
 */
export async function sendEnrolmentCode(body: Record<string, string>, sent: string, { where, send, codeForm, codeInput }: EnrolmentForms): Promise<boolean> {
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
