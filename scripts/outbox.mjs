#!/usr/bin/env node
// `npm run outbox`: the newest email a running `npm start` sent through its simulated send_email
// binding (recipient, subject and text part), read from GET /api/email/outbox, so a developer reads
// an emailed code without leaving the terminal.
//
//   npm run outbox                          the newest message
//   npm run outbox -- --to richard@example.com   the newest message to that address
//
// The server is http://127.0.0.1:8787 unless URL is set; the API key is KEY, else the first of
// .dev.vars' API_KEYS (written by scripts/dev-vars.mjs).
import { devVarsKey, stop } from "./local-cli.mjs";

const HELP = `Usage: npm run outbox [-- --to <address>]
Prints the newest email that a running \`npm start\` sent (its recipient, subject and text).
Environment: URL (default http://127.0.0.1:8787), KEY (default: the first API key in .dev.vars).`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
if (!(args.length === 0 || (args.length === 2 && args[0] === "--to" && args[1]))) stop(HELP);
const to = args[1];

const base = process.env.URL || "http://127.0.0.1:8787";
const key = process.env.KEY || devVarsKey("API_KEYS");
if (!key) stop("No API key: set KEY, or run `npm start` once so that it writes .dev.vars.");

const url = new URL("/api/email/outbox", base);
if (to) url.searchParams.set("to", to);
const response = await fetch(url, { headers: { Authorization: key } }).catch(() => stop(`No answer from ${base}: is \`npm start\` running?`));
if (response.status === 404) stop(`${base} keeps no outbox: EMAIL_LOCAL_OUTBOX is not "true" there (npm start sets it).`);
if (response.status === 401) stop(`${base} refused the API key.`);
if (!response.ok) stop(`${url} answered ${response.status}: ${await response.text()}`);

const newest = (await response.json()).messages.at(-1);
if (!newest) stop(to ? `No email to ${to} yet.` : "No email sent yet.");
console.log(`To: ${newest.to}\nSubject: ${newest.subject}\nSent: ${new Date(newest.sentAt).toISOString()}\n\n${newest.text.trimEnd()}`);
