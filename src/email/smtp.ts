// The operator's own SMTP server, over the Workers TCP socket API, with worker-mailer
// (https://github.com/zou-yu/worker-mailer): connect (greeting, EHLO, STARTTLS, AUTH), one message,
// QUIT. Everything is bounded by one timer, raced rather than left to the library: worker-mailer
// 1.2.1 waits for each reply for `socketTimeoutMs` (its `responseTimeoutMs` option is read from
// `socketTimeoutMs`), and only between replies. Its log level is NONE: its debug and error lines
// hold the server's replies, which echo addresses.
//
// Its errors are plain `Error`s whose message names the step and holds the server's reply
// ("Failed to plain authentication: 535 …", "Invalid RCPT TO: <…> 550 …"); errors without such a
// prefix come from the socket itself (refused, reset, no route, TLS).

import { LogLevel, WorkerMailer } from "worker-mailer";
import type { EmailSettings } from "../domain/integrations";
import type { DeliveryFailure } from "../domain/failures";
import { failed, type EmailResult } from "./result";
import type { OutgoingEmail } from "./send";

/**
 * worker-mailer 1.2.1 reads a reply with `for (;;) { const { value } = await reader.read(); if
 * (!value) continue; … }`: once the server closes the connection, `read()` answers `done` at once,
 * forever, and the loop never yields to a timer, so no timeout could end it (the invocation would
 * spin until the runtime's CPU limit). This reader is the same, except that a closed connection is
 * an error. It replaces the library's, once, when this module loads.
 */
async function readReply(this: { reader: ReadableStreamDefaultReader<Uint8Array> }): Promise<string> {
  const decoder = new TextDecoder();
  let reply = "";
  for (;;) {
    const { value, done } = await this.reader.read();
    if (done) throw new Error("The SMTP server closed the connection");
    reply += decoder.decode(value, { stream: true });
    if (!reply.endsWith("\n")) continue;
    const lines = reply.split(/\r?\n/);
    // Every line of a multi-line reply but the last has a hyphen after its code (RFC 5321 §4.2.1).
    if (!/^\d+-/.test(lines[lines.length - 2]!)) return reply;
  }
}
(WorkerMailer.prototype as unknown as { read: typeof readReply }).read = readReply;

/** Connect and send, all steps together. */
export const SMTP_TIMEOUT_MS = 10_000;

type SmtpSettings = Extract<EmailSettings, { transport: "smtp" }>;

export async function sendSmtp(settings: SmtpSettings, message: OutgoingEmail, timeoutMs: number): Promise<EmailResult> {
  const secrets = [message.to, settings.password];
  // Our own Message-ID (RFC 5322 §3.6.4), so the answer can name the message as the binding's does.
  const messageId = `<${crypto.randomUUID()}@${settings.from.email.slice(settings.from.email.lastIndexOf("@") + 1)}>`;
  let delivered = false;
  const exchange = async (): Promise<EmailResult> => {
    const mailer = await WorkerMailer.connect({
      host: settings.host,
      port: settings.port,
      secure: settings.security === "SSL",
      startTls: settings.security === "TLS",
      credentials: settings.username ? { username: settings.username, password: settings.password ?? "" } : undefined,
      authType: ["plain", "login"],
      logLevel: LogLevel.NONE,
      socketTimeoutMs: timeoutMs,
      responseTimeoutMs: timeoutMs,
    });
    try {
      await mailer.send({
        from: settings.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: { ...message.headers, "Message-ID": messageId },
      });
      delivered = true;
    } finally {
      await mailer.close();
    }
    return { ok: true, messageId };
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const outcome = await Promise.race([exchange().catch((error: unknown) => failed(failureOf(error), error, secrets)), timedOut]);
    if (outcome !== "timeout") return outcome;
    // Only the QUIT after the message went unanswered: the message is the server's.
    if (delivered) return { ok: true, messageId };
    return { ok: false, failure: "timeout", detail: `The SMTP server did not answer within ${timeoutMs} ms.` };
  } finally {
    clearTimeout(timer);
  }
}

function failureOf(error: unknown): DeliveryFailure {
  const text = error instanceof Error ? error.message : String(error);
  if (/authentication|^Invalid login|^No supported auth method/.test(text)) return "refused-login";
  if (/^Timeout while waiting|^Socket timeout/.test(text)) return "timeout";
  if (/^Invalid (?:MAIL FROM|RCPT TO)|^Failed to send DATA|^Failed send email body/.test(text)) return /\s5\d\d[\s-]/.test(text) ? "rejected" : "error";
  if (/^Failed to (?:connect to SMTP server|EHLO|HELO|start TLS)|^WorkerMailer is shutting down|^The SMTP server closed the connection/.test(text))
    return "error";
  return "unreachable";
}
