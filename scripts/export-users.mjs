#!/usr/bin/env node
// `npm run export`: every user of a running service as FusionAuth Import API request bodies, read
// page by page from GET /api/system/export. Each file written is one valid `POST /api/user/import`
// body (at most 100 users and under 1 MB, the Import API's limits here), numbered from the --out name:
//
//   npm run export -- --url http://127.0.0.1:8787 --out users.json    writes users-0001.json, users-0002.json, …
//
// The export key comes from EXPORT_KEY, else --key-file (a file holding it), else the first key of
// .dev.vars' EXPORT_KEYS (written by scripts/dev-vars.mjs); it is never printed. The files hold
// password hashes and 2FA secrets: they are written readable by their owner only.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { devVarsKey, stop } from "./local-cli.mjs";

/** The Import API's limits on this service: 100 users (MAX_IMPORT_USERS) and a 1 MiB body, less room for the wrapper. */
const MAX_USERS_PER_FILE = 100;
const MAX_FILE_BYTES = 1024 * 1024 - 1024;
const PAGE_LIMIT = 100;

const HELP = `Usage: npm run export -- --out users.json [--url http://127.0.0.1:8787] [--key-file PATH]
Writes every user as FusionAuth Import API bodies: users-0001.json, users-0002.json, … (one POST /api/user/import each).
The export key: EXPORT_KEY, else --key-file, else the first of .dev.vars' EXPORT_KEYS.`;

const { values } = parseArgs({
  options: {
    url: { type: "string", default: process.env.URL || "http://127.0.0.1:8787" },
    out: { type: "string" },
    "key-file": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (!values.out) stop(HELP);
const key = process.env.EXPORT_KEY || (values["key-file"] && readFileSync(values["key-file"], "utf8").trim()) || devVarsKey("EXPORT_KEYS");
if (!key) stop("No export key: set EXPORT_KEY, pass --key-file, or run `npm start` once so that it writes .dev.vars.");

const base = values.out.replace(/\.json$/, "");
const files = [];
let chunk = [];
let chunkBytes = 0;
let cursor = null;
let total = 0;
do {
  const url = new URL("/api/system/export", values.url);
  url.searchParams.set("limit", String(PAGE_LIMIT));
  if (cursor) url.searchParams.set("cursor", cursor);
  const response = await fetch(url, { headers: { Authorization: key } }).catch(() => stop(`No answer from ${values.url}.`));
  if (response.status === 401) stop(`${values.url} refused the export key (is EXPORT_KEYS set there?).`);
  if (!response.ok) stop(`${url.pathname} answered ${response.status}: ${await response.text()}`);
  const page = await response.json();
  for (const user of page.users) {
    const bytes = Buffer.byteLength(JSON.stringify(user)) + 1;
    if (chunk.length === MAX_USERS_PER_FILE || (chunk.length > 0 && chunkBytes + bytes > MAX_FILE_BYTES)) flush();
    chunk.push(user);
    chunkBytes += bytes;
    total += 1;
  }
  cursor = page.nextCursor;
} while (cursor);
if (chunk.length) flush();
const named = files.length > 1 ? `${files[0]} … ${files.at(-1)}` : files[0];
console.log(`Exported ${total} user${total === 1 ? "" : "s"} into ${files.length} file${files.length === 1 ? "" : "s"}${named ? `: ${named}` : ""}.`);

function flush() {
  const file = `${base}-${String(files.length + 1).padStart(4, "0")}.json`;
  writeFileSync(file, `${JSON.stringify({ users: chunk })}\n`, { mode: 0o600 });
  files.push(file);
  chunk = [];
  chunkBytes = 0;
}
