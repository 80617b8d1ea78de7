// The page's building blocks: the steps and the progress bar, messages next to a field (with live
// countdowns), buttons held back while the server asks to wait, and the six-digit code inputs.
import type { Problem } from "./api.js";

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element as T;
}

export const input = (id: string) => byId<HTMLInputElement>(id);
export const button = (id: string) => byId<HTMLButtonElement>(id);
export const form = (id: string) => byId<HTMLFormElement>(id);
export const text = (id: string, value: string) => (byId(id).textContent = value);

/** Says `text` to screen readers once: politely, or at once for errors. */
export function announce(text: string, urgent = false): void {
  const region = byId(urgent ? "alerter" : "announcer");
  // Emptied first so that the same sentence twice in a row is read twice.
  region.textContent = "";
  window.setTimeout(() => (region.textContent = text), 50);
}

export type Tone = "error" | "warn" | "ok" | "info";

/** Seconds left until `end` (ms), rounded up. */
const secondsUntil = (end: number) => Math.max(0, Math.ceil((end - Date.now()) / 1000));

/**
 * The message slot under one field (or button): shown with a tone, cleared as soon as the user
 * types in that field. A countdown rewrites its text every second without announcing each tick.
 */
export class Message {
  private timer: number | undefined;

  constructor(
    readonly element: HTMLElement,
    readonly field?: HTMLInputElement,
  ) {
    field?.addEventListener("input", () => this.clear());
  }

  static of(id: string, fieldId?: string): Message {
    return new Message(byId(id), fieldId ? byId<HTMLInputElement>(fieldId) : undefined);
  }

  show(tone: Tone, text: string, options: { announce?: boolean } = {}): void {
    this.stop();
    this.element.dataset.tone = tone;
    this.element.textContent = text;
    if (tone === "error") this.field?.setAttribute("aria-invalid", "true");
    else this.field?.removeAttribute("aria-invalid");
    if (options.announce ?? true) announce(text, tone === "error");
  }

  /** Shows `text(seconds left)` and updates it every second; then calls `done`. */
  countdown(tone: Tone, seconds: number, text: (left: number) => string, done: () => void): void {
    const end = Date.now() + seconds * 1000;
    this.show(tone, text(seconds));
    this.timer = window.setInterval(() => {
      const left = secondsUntil(end);
      if (left > 0) {
        this.element.textContent = text(left);
        return;
      }
      this.stop();
      done();
    }, 250);
  }

  clear(): void {
    this.stop();
    this.element.textContent = "";
    delete this.element.dataset.tone;
    this.field?.removeAttribute("aria-invalid");
  }

  private stop(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A bug in this page, said where the user is looking. */
export const failed = (where: Message) => (error: unknown) =>
  where.show("error", `Something went wrong in this page: ${error instanceof Error ? error.message : String(error)}`);

/** Shows a problem next to the field the server named (`fields` maps FusionAuth names to messages), else at `fallback`. */
export function showProblem(problem: Problem, fallback: Message, fields: Record<string, Message> = {}): void {
  (problem.field ? (fields[problem.field] ?? fallback) : fallback).show(problem.tone, problem.text);
}

const holds = new WeakMap<HTMLButtonElement, { timer: number; label: string }>();

/**
 * Disables `button` for `seconds`, its label counting down (e.g. "Send again in 12 s"). A button
 * that had the focus hands it to `focusTo` first, so keyboard users are not dropped on the body.
 */
export function holdButton(button: HTMLButtonElement, seconds: number, label: (left: number) => string, focusTo?: HTMLElement): void {
  release(button);
  const original = button.textContent ?? "";
  const end = Date.now() + seconds * 1000;
  if (document.activeElement === button) focusTo?.focus();
  button.disabled = true;
  button.textContent = label(seconds);
  const timer = window.setInterval(() => {
    const left = secondsUntil(end);
    if (left > 0) button.textContent = label(left);
    else release(button);
  }, 250);
  holds.set(button, { timer, label: original });
}

/** Ends a hold early (or does nothing). */
export function release(button: HTMLButtonElement): void {
  const hold = holds.get(button);
  if (!hold) return;
  window.clearInterval(hold.timer);
  holds.delete(button);
  button.textContent = hold.label;
  button.disabled = false;
}

/** A send button back to its first state (no hold, the main action). */
export function resetSend(send: HTMLButtonElement, label: string): void {
  release(send);
  send.className = "primary";
  send.textContent = label;
}

/**
 * A six-digit code field: keeps digits only, takes a pasted "123 456" or "Your code: 123456" whole,
 * and submits its form by itself once six digits are in.
 */
export function codeField(input: HTMLInputElement): void {
  const form = input.form;
  input.addEventListener("paste", (event) => {
    const digits = (event.clipboardData?.getData("text") ?? "").replace(/\D/g, "");
    if (digits.length < 6) return;
    event.preventDefault();
    input.value = digits.slice(0, 6);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  input.addEventListener("input", () => {
    const digits = input.value.replace(/\D/g, "").slice(0, 6);
    if (digits !== input.value) input.value = digits;
    if (digits.length === 6) form?.requestSubmit();
  });
}

/**
 * Runs `handler` for a form's submit, one at a time (a second Enter or an auto-submit while the
 * first is on its way does nothing). The submit button shows it is busy.
 */
export function onSubmit(form: HTMLFormElement, handler: () => Promise<void>, onFailure: (error: unknown) => void): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(form, form.querySelector<HTMLButtonElement>("button[type=submit]"), handler, onFailure);
  });
}

export function onClick(button: HTMLButtonElement, handler: () => Promise<void> | void, onFailure: (error: unknown) => void): void {
  button.addEventListener("click", () => void busy(button, button, async () => handler(), onFailure));
}

async function busy(owner: HTMLElement, button: HTMLButtonElement | null, handler: () => Promise<void>, onFailure: (error: unknown) => void) {
  if (owner.dataset.busy === "true") return;
  owner.dataset.busy = "true";
  button?.setAttribute("aria-busy", "true");
  try {
    await handler();
  } catch (error) {
    onFailure(error);
  } finally {
    delete owner.dataset.busy;
    button?.removeAttribute("aria-busy");
  }
}

/** The steps of the progress bar, in order (the sections' data-step). */
const STEPS = ["key", "user", "method", "enrol", "login", "code", "done"];

/**
 * Shows one section, marks the progress bar (done / current / next, also in words for screen
 * readers) and moves the focus to the section's heading, whose text becomes the page title.
 */
export function showStep(sectionId: string, options: { focus?: boolean } = {}): void {
  const section = byId(sectionId);
  for (const other of document.querySelectorAll<HTMLElement>("main > section")) other.hidden = other !== section;
  const current = STEPS.indexOf(section.dataset.step ?? "");
  document.querySelectorAll<HTMLElement>(".stepper li").forEach((item, index) => {
    item.classList.toggle("is-done", index < current);
    item.classList.toggle("is-current", index === current);
    item.classList.toggle("is-next", index > current);
    if (index === current) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
    const state = item.querySelector(".state");
    if (state) state.textContent = index < current ? " (done)" : index === current ? " (current step)" : " (not yet)";
    if (index === current) byId("step-count").textContent = `Step ${index + 1} of ${STEPS.length} · ${item.querySelector(".label")?.textContent ?? ""}`;
  });
  byId("main").classList.toggle("wide", section.dataset.wide === "true");
  const heading = section.querySelector<HTMLElement>("h1");
  document.title = `${heading?.textContent ?? ""} · Two-factor demo`;
  if (options.focus ?? true) heading?.focus();
}
