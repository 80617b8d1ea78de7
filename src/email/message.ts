// The email that carries a one-time code: a subject with the code first, a plain-text part and an
// HTML part, from the templates of config.email.message. Nothing in it tracks or links: no URLs,
// no remote images, and every value put into the HTML is escaped (the application's name is
// configuration, but escaping it costs nothing).
import type { EmailMessageConfig } from "../domain/config";

/** What one message says besides its template: the code and how long it lasts. */
export type CodeFacts = { code: string; lifetimeSeconds: number };

export type CodeEmail = { subject: string; text: string; html: string; headers: Record<string, string> };

/**
 * Headers for every code: an automatic message (RFC 3834 §5), so auto-responders (vacation
 * replies) stay quiet, and Microsoft Exchange's own switch for the same (X-Auto-Response-Suppress,
 * Microsoft's [MS-OXCMAIL] specification).
 */
const HEADERS = { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" } as const;

export function codeEmail(template: EmailMessageConfig, facts: CodeFacts): CodeEmail {
  const values = { code: facts.code, minutes: lifetimeInWords(facts.lifetimeSeconds), application: template.applicationName };
  const text = fill(template.textTemplate, values);
  return {
    // A header is one line: a name with a line break in it must not start another header.
    subject: fill(template.subjectTemplate, values).replace(/\s+/g, " ").trim(),
    // The origin-bound line (https://wicg.github.io/sms-one-time-codes/) is the message's last line.
    text: template.codeOrigin ? `${text.trimEnd()}\n\n@${template.codeOrigin} #${facts.code}\n` : text,
    html: fill(template.htmlTemplate, { code: escapeHtml(values.code), minutes: escapeHtml(values.minutes), application: escapeHtml(values.application) }),
    headers: { ...HEADERS },
  };
}

/** "30 seconds", "1 minute", "5 minutes": whole minutes, rounded down, so a code never lasts less than it says. */
function lifetimeInWords(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  if (whole < 60) return whole === 1 ? "1 second" : `${whole} seconds`;
  const minutes = Math.floor(whole / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

/** Replaces every `{name}`; a value is inserted once, never read again as a template. */
function fill(template: string, values: Record<"code" | "minutes" | "application", string>): string {
  return template.replace(/\{(code|minutes|application)\}/g, (_match, name: keyof typeof values) => values[name]);
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
