#!/usr/bin/env node
// Runs the fake Twilio as a local HTTP server for manual and end-to-end tests:
//   node test/fake-twilio/server.mjs [--port 8790] [--account-sid AC...] [--auth-token ...]
// --port 0 picks a free port. Besides the Twilio Messages API it serves
//   GET    /_fake/messages  recorded messages as JSON, oldest first
//   DELETE /_fake/messages  forget them (and the fake's other state)
// --help prints the usage below and exits 0; a wrong argument prints it and exits 2.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createFakeTwilio, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from "./fake-twilio.mjs";

const USAGE = `Usage: node test/fake-twilio/server.mjs [--port <port>] [--account-sid <sid>] [--auth-token <token>]

A fake Twilio Messages API on 127.0.0.1 for manual and end-to-end tests (test numbers: see
fake-twilio.mjs). Besides POST /2010-04-01/Accounts/<sid>/Messages.json it serves
  GET    /_fake/messages  recorded messages as JSON, oldest first
  DELETE /_fake/messages  forget them (and the fake's other state)

Options:
  --port <port>         port to listen on, 0 for any free port (default: 8790)
  --account-sid <sid>   account SID to accept (default: ${DEFAULT_ACCOUNT_SID})
  --auth-token <token>  auth token to accept (default: ${DEFAULT_AUTH_TOKEN})
  -h, --help            print this help and exit
`;

/** Says what was wrong with the command line, then the usage, and exits 2. */
function usageError(message) {
  process.stderr.write(`fake-twilio: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: "string", default: "8790" },
      "account-sid": { type: "string", default: DEFAULT_ACCOUNT_SID },
      "auth-token": { type: "string", default: DEFAULT_AUTH_TOKEN },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  // Unknown options, positional arguments and options without their value (ERR_PARSE_ARGS_*).
  if (!String(error?.code).startsWith("ERR_PARSE_ARGS_")) throw error;
  usageError(error.message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65535) usageError(`--port must be a port number from 0 to 65535, not "${values.port}"`);

const fake = createFakeTwilio({ accountSID: values["account-sid"], authToken: values["auth-token"] });

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);

  if (url.pathname === "/_fake/messages" && req.method === "GET") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(fake.messages));
    return;
  }
  if (url.pathname === "/_fake/messages" && req.method === "DELETE") {
    fake.reset();
    res.writeHead(204);
    res.end();
    return;
  }

  // Lets the "hang" number notice when the client gives up and disconnects.
  const disconnected = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) disconnected.abort();
  });

  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(url, {
    method: req.method,
    headers: Object.entries(req.headersDistinct).flatMap(([name, list]) => list.map((value) => [name, value])),
    body: hasBody ? Buffer.concat(chunks) : undefined,
    signal: disconnected.signal,
  });

  let response;
  try {
    response = await fake.handle(request);
  } catch {
    return; // Only the hang ends this way, once the client is already gone.
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});

server.listen(port, "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`fake-twilio listening on http://127.0.0.1:${port}`);
});
