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
//
// A limit of worker-mailer 1.2.1 that no timer here can bound: when a server closes the connection
// without a reply while one is awaited, its read loop keeps calling `reader.read()` on the ended
// stream, never yielding to timers, until the runtime's CPU limit ends the invocation. Servers that
// answer (even with an error) before closing, and ports nothing listens on, are handled.
import { LogLevel, WorkerMailer } from "worker-mailer";
import type { EmailSettings } from "../domain/integrations";
import { failed, type EmailFailure, type EmailResult } from "./result";
import type { OutgoingEmail } from "./send";

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

function failureOf(error: unknown): EmailFailure {
  const text = error instanceof Error ? error.message : String(error);
  if (/authentication|^Invalid login|^No supported auth method/.test(text)) return "refused-login";
  if (/^Timeout while waiting|^Socket timeout/.test(text)) return "timeout";
  if (/^Invalid (?:MAIL FROM|RCPT TO)|^Failed to send DATA|^Failed send email body/.test(text)) return /\s5\d\d[\s-]/.test(text) ? "rejected" : "error";
  if (/^Failed to (?:connect to SMTP server|EHLO|HELO|start TLS)|^WorkerMailer is shutting down/.test(text)) return "error";
  return "unreachable";
}
