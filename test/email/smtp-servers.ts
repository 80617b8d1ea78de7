// Real SMTP servers on 127.0.0.1 (smtp-server, the server side of Nodemailer), one per behaviour the
// SMTP transport must handle, for any Node-side test set-up (the workers project's
// test/email/global-setup.ts, the e2e suite):
//   accepting          asks for `username` / `password` (PLAIN or LOGIN) and keeps each message;
//   refusingLogin      answers every AUTH with 535;
//   down               a port nothing listens on (connection refused);
//   slow               greets only after `slowMs`;
//   refusingRecipient  answers RCPT TO with 550, echoing the address as real servers do;
//   closing            a TCP server that accepts a connection and closes it without a word.
// What the accepting server received is listed as JSON at `${inbox}/messages` (optionally
// `?to=<address>`), parsed: envelope, headers, subject, the text and HTML parts, and the raw message.
// None of them offers STARTTLS (workerd would refuse smtp-server's self-signed certificate).
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

const SMTP_USER = "two-factor@example.com";
const SMTP_PASSWORD = "smtp-test-password-5f0c";

export type SmtpPorts = { accepting: number; refusingLogin: number; down: number; slow: number; refusingRecipient: number; closing: number };

/** What a test needs to reach the servers (plain data: the workers project passes it with `provide`). */
export type SmtpFixture = SmtpPorts & {
  /** http://127.0.0.1:<port>: GET /messages lists what the accepting server received. */
  inbox: string;
  /** The login the accepting server takes. */
  username: string;
  password: string;
};

export type SmtpServers = SmtpFixture & { close(): Promise<void> };

export type ReceivedEmail = {
  from: string;
  to: string[];
  headers: Record<string, string>;
  subject: string;
  text: string;
  html: string;
  raw: string;
  receivedAt: number;
};

const LOOPBACK = "127.0.0.1";
/** Servers that take mail without a login offer no AUTH: worker-mailer logs in wherever AUTH is offered. */
const NO_LOGIN = ["STARTTLS", "AUTH"];

export async function startSmtpServers(options: { slowMs?: number } = {}): Promise<SmtpServers> {
  const slowMs = options.slowMs ?? 5_000;
  const received: ReceivedEmail[] = [];
  const pending = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, then: () => void) => {
    const timer = setTimeout(() => {
      pending.delete(timer);
      then();
    }, ms);
    pending.add(timer);
  };
  const refusal = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

  const smtp = {
    accepting: server({
      onAuth: (auth, _session, callback) =>
        auth.username === SMTP_USER && auth.password === SMTP_PASSWORD
          ? callback(null, { user: auth.username })
          : callback(refusal("Invalid username or password", 535)),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const envelope = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", to: session.envelope.rcptTo.map((to) => to.address) };
          received.push({ ...envelope, ...parseMessage(Buffer.concat(chunks).toString("utf8")), receivedAt: Date.now() });
          callback(null);
        });
      },
    }),
    refusingLogin: server({ onAuth: (_auth, _session, callback) => callback(refusal("Authentication credentials invalid", 535)) }),
    slow: server({ disabledCommands: NO_LOGIN, onConnect: (_session, callback) => later(slowMs, () => callback()) }),
    refusingRecipient: server({
      disabledCommands: NO_LOGIN,
      onRcptTo: (address, _session, callback) => callback(refusal(`<${address.address}>: Recipient address rejected: User unknown`, 550)),
    }),
  };
  const ports = Object.fromEntries(await Promise.all(Object.entries(smtp).map(async ([name, s]) => [name, await listen(s)]))) as Omit<
    SmtpPorts,
    "down" | "closing"
  >;
  const closing = createNetServer((socket) => socket.end());
  const closingPort = await listen(closing);

  const inbox = createHttpServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/messages") return void response.writeHead(404).end();
    const to = url.searchParams.get("to");
    response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(to ? received.filter((email) => email.to.includes(to)) : received));
  });
  const inboxPort = await listen(inbox);

  return {
    ...ports,
    closing: closingPort,
    down: await closedPort(),
    inbox: `http://${LOOPBACK}:${inboxPort}`,
    username: SMTP_USER,
    password: SMTP_PASSWORD,
    async close() {
      pending.forEach(clearTimeout);
      await Promise.all([
        ...Object.values(smtp).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
        closeHttp(inbox),
        new Promise<void>((resolve) => closing.close(() => resolve())),
      ]);
    },
  };
}

function server(options: SMTPServerOptions): SMTPServer {
  return new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    disabledCommands: ["STARTTLS"],
    // The Worker logs in over the plain connection: these servers offer no TLS.
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    closeTimeout: 1_000,
    ...options,
  });
}

function listen(server: SMTPServer | HttpServer | NetServer): Promise<number> {
  // An SMTPServer listens through its `server` (a net.Server).
  const net = server instanceof SMTPServer ? server.server : server;
  return new Promise((resolve, reject) => {
    net.once("error", reject);
    server.listen(0, LOOPBACK, () => resolve((net.address() as AddressInfo).port));
  });
}

function closeHttp(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A loopback port that was free a moment ago and that nothing listens on now. */
async function closedPort(): Promise<number> {
  const probe = createNetServer();
  const port = await new Promise<number>((resolve) => probe.listen(0, LOOPBACK, () => resolve((probe.address() as AddressInfo).port)));
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

type Part = { headers: Record<string, string>; body: string };

/** Enough MIME for what worker-mailer writes: multipart parts, quoted-printable, Q-encoded words. */
function parseMessage(raw: string): Omit<ReceivedEmail, "from" | "to" | "receivedAt"> {
  const top = parsePart(raw);
  const leaves = flatten(top);
  const partOf = (type: string) => leaves.find((part) => (part.headers["content-type"] ?? "").startsWith(type));
  return {
    headers: top.headers,
    subject: decodeWords(top.headers.subject ?? ""),
    text: decoded(partOf("text/plain")),
    html: decoded(partOf("text/html")),
    raw,
  };
}

function parsePart(raw: string): Part {
  const split = raw.indexOf("\r\n\r\n");
  const head = split < 0 ? raw : raw.slice(0, split);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: split < 0 ? "" : raw.slice(split + 4) };
}

function flatten(part: Part): Part[] {
  const boundary = /boundary="?([^";]+)"?/.exec(part.headers["content-type"] ?? "")?.[1];
  if (!boundary) return [part];
  const children = part.body.split(`--${boundary}`).slice(1, -1);
  return children.flatMap((child) => flatten(parsePart(child.replace(/^\r\n/, ""))));
}

function decoded(part: Part | undefined): string {
  if (!part) return "";
  // worker-mailer ends each part with a blank line before the boundary's own line break.
  const body = part.body.replace(/\r\n\r\n$/, "");
  if (!/quoted-printable/i.test(part.headers["content-transfer-encoding"] ?? "")) return body;
  const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8").replace(/\r\n/g, "\n");
}

function decodeWords(value: string): string {
  return value.replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_match, text: string) =>
    Buffer.from(
      text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      "latin1",
    ).toString("utf8"),
  );
}
