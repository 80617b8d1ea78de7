// `npm run deploy` (scripts/deploy.mjs) against the recorded-command double of the wrangler CLI
// (test/e2e/fake-wrangler.mjs) and a status endpoint on 127.0.0.1, with a temp copy of wrangler.toml.
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const PLACEHOLDER = `id = "${"0".repeat(32)}"`;

type Call = { args: string[]; stdinLength: number };
type Zone = { name: string; sending: boolean; subdomains: { name: string; enabled: boolean }[] };
type State = {
  namespaces: { id: string; title: string }[];
  queues: string[];
  secrets: string[];
  workerExists: boolean;
  url: string;
  zones: Zone[];
  calls: Call[];
};

let dir: string;
let server: Server;
let healthy: boolean;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "deploy-script-"));
  copyFileSync(join(root, "wrangler.toml"), join(dir, "wrangler.toml"));
  healthy = true;
  server = createServer((request, response) => {
    const ok = healthy && request.url === "/api/status";
    response.writeHead(ok ? 200 : 503, { "Content-Type": "application/json" }).end(JSON.stringify(ok ? { status: "ok" } : { down: true }));
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  const state: State = { namespaces: [], queues: [], secrets: [], workerExists: false, url: `http://127.0.0.1:${port}`, zones: [], calls: [] };
  writeFileSync(join(dir, "state.json"), JSON.stringify(state));
});

afterEach(async () => {
  await new Promise((closed) => server.close(closed));
  rmSync(dir, { recursive: true, force: true });
});

const state = (): State => JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
const toml = () => readFileSync(join(dir, "wrangler.toml"), "utf8");

/** Runs the script (asynchronously: the status server answers from this process) and the calls it made. */
async function deploy(...args: string[]) {
  const before = state().calls.length;
  const child = spawn(process.execPath, [join(root, "scripts/deploy.mjs"), "--config", join(dir, "wrangler.toml"), ...args], {
    cwd: root,
    env: { ...process.env, WRANGLER_BIN: join(root, "test/e2e/fake-wrangler.mjs"), FAKE_WRANGLER_STATE: join(dir, "state.json") },
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const code = await new Promise<number | null>((exited) => child.on("close", exited));
  const calls = state().calls.slice(before);
  const commands = calls.map(({ args }) =>
    args
      .slice(
        0,
        args.findIndex((arg) => arg.startsWith("--")),
      )
      .join(" "),
  );
  return { code, output, calls, commands };
}

/** No generated value leaves the script: only the API key's file holds one. */
function expectNoSecretIn(text: string, apiKey: string) {
  expect(text).not.toContain(apiKey);
  expect(text).not.toMatch(/k1:/); // ENCRYPTION_KEY's value
  expect(text).not.toMatch(/[A-Za-z0-9_-]{40,}/); // JWT_SIGNING_KEY's (43 characters); ids are 32
}

it("creates KV, the three queues and three secrets, deploys and checks the status; a second run changes nothing", async () => {
  const first = await deploy();
  expect(first.code, first.output).toBe(0);
  expect(first.commands).toEqual([
    "kv namespace list",
    "kv namespace create legacy-two-factor-KV",
    "queues list",
    "queues create legacy-two-factor-events",
    "queues create legacy-two-factor-key-rotation",
    "queues create legacy-two-factor-events-dead",
    "secret list",
    "secret put API_KEYS",
    "secret put JWT_SIGNING_KEY",
    "secret put ENCRYPTION_KEY",
    "deploy",
  ]);
  const { namespaces, queues, secrets, calls } = state();
  expect(queues).toEqual(["legacy-two-factor-events", "legacy-two-factor-key-rotation", "legacy-two-factor-events-dead"]);
  expect(secrets).toEqual(["API_KEYS", "JWT_SIGNING_KEY", "ENCRYPTION_KEY"]);
  expect(toml()).not.toContain(PLACEHOLDER);
  expect(toml()).toContain(`binding = "KV"\nid = "${namespaces[0]!.id}"`);
  expect(first.output).toContain(`KV: wrote its id into ${join(dir, "wrangler.toml")}`);
  expect(first.output).toContain("EMAIL_FROM is not set");
  expect(first.output).toContain(`/api/status answers 200`);
  // Every wrangler call names the temp config; the values came on stdin.
  for (const call of calls) expect(call.args).toContain(join(dir, "wrangler.toml"));
  const keyFile = join(dir, ".api-key-legacy-two-factor");
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  const apiKey = readFileSync(keyFile, "utf8").trim();
  expect(apiKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(first.output).toContain(keyFile);
  const puts = calls.filter((call) => call.args[1] === "put");
  expect(puts.map((call) => call.stdinLength)).toEqual([32, 43, 3 + 44]);
  expectNoSecretIn(first.output, apiKey);
  expectNoSecretIn(readFileSync(join(dir, "state.json"), "utf8"), apiKey);

  const tomlAfterFirst = toml();
  const second = await deploy();
  expect(second.code, second.output).toBe(0);
  expect(second.commands).toEqual(["queues list", "queues list", "secret list", "deploy"]); // page 2 is empty
  expect(second.output).toContain(`KV: bound to namespace ${namespaces[0]!.id}`);
  expect(second.output).toContain("Secret API_KEYS: set, left as it is");
  expect(toml()).toBe(tomlAfterFirst);
  expect(readFileSync(keyFile, "utf8").trim()).toBe(apiKey);
  expect(state().secrets).toEqual(secrets);
});

it("finds a namespace that exists by its title and writes its id, creating nothing", async () => {
  const existing = {
    namespaces: [{ id: "a".repeat(32), title: "legacy-two-factor-KV" }],
    queues: ["legacy-two-factor-events", "legacy-two-factor-events-dead", "legacy-two-factor-key-rotation"],
  };
  writeFileSync(join(dir, "state.json"), JSON.stringify({ ...state(), ...existing }));
  const run = await deploy();
  expect(run.code, run.output).toBe(0);
  expect(run.commands.filter((command) => command.includes("create"))).toEqual([]);
  expect(toml()).toContain(`id = "${"a".repeat(32)}"`);
});

it("--dry-run creates and puts nothing, leaves wrangler.toml alone and runs wrangler deploy --dry-run", async () => {
  const before = toml();
  const run = await deploy("--dry-run");
  expect(run.code, run.output).toBe(0);
  expect(run.commands).toEqual(["kv namespace list", "queues list", "secret list", "deploy"]);
  expect(run.calls.at(-1)!.args).toContain("--dry-run");
  expect(run.output).toContain("KV: would create namespace");
  expect(run.output).toContain("Secret ENCRYPTION_KEY: would generate and put it");
  expect(toml()).toBe(before);
  expect(state()).toMatchObject({ namespaces: [], queues: [], secrets: [] });
});

it("a status check that never answers 200 ok exits non-zero, saying so", async () => {
  healthy = false;
  const run = await deploy();
  expect(run.code).toBe(1);
  expect(run.output).toMatch(/\/api\/status did not answer 200 \{"status":"ok"\} in 6 tries; last: 503/);
}, 30_000);

it("--env is passed to wrangler and names the Worker, its namespace and key file", async () => {
  const run = await deploy("--env", "staging");
  expect(run.code, run.output).toBe(0);
  expect(run.commands).toContain("kv namespace create legacy-two-factor-staging-KV");
  for (const call of run.calls.filter((call) => call.args[0] !== "kv")) expect(call.args.join(" ")).toContain("--env staging");
  expect(statSync(join(dir, ".api-key-legacy-two-factor-staging")).mode & 0o777).toBe(0o600);
});

/** EMAIL_FROM in the temp wrangler.toml's top-level [vars]; the account's zones in the double. */
function emailFrom(address: string, zones: Zone[]) {
  writeFileSync(join(dir, "wrangler.toml"), toml().replace("[vars]\n", `[vars]\nEMAIL_FROM = "${address}"\n`));
  writeFileSync(join(dir, "state.json"), JSON.stringify({ ...state(), zones }));
}
const emailCommands = (commands: string[]) => commands.filter((command) => command.startsWith("email "));

it("email off (no EMAIL_FROM, no --email-domain): no email command runs, and the output says so", async () => {
  const run = await deploy();
  expect(run.code, run.output).toBe(0);
  expect(emailCommands(run.commands)).toEqual([]);
  expect(run.output).toContain("Email: off (EMAIL_FROM is not set and no --email-domain given)");
});

it("enables Email Sending on EMAIL_FROM's domain when it is not, lists its DNS records; a second run enables nothing", async () => {
  emailFrom("codes@mail.example.com", [{ name: "example.com", sending: false, subdomains: [] }]);
  const first = await deploy();
  expect(first.code, first.output).toBe(0);
  expect(emailCommands(first.commands)).toEqual([
    "email sending settings mail.example.com",
    "email sending enable mail.example.com",
    "email sending dns get mail.example.com",
  ]);
  expect(first.commands.indexOf("email sending enable mail.example.com")).toBeLessThan(first.commands.indexOf("deploy"));
  expect(first.output).toContain("Email: enabled Email Sending for mail.example.com");
  expect(first.output).toContain("TXT record:\n  Name:     _dmarc.mail.example.com");
  expect(first.output).not.toContain("⛅️"); // wrangler's banner is not passed on
  expect(state().zones[0]!.subdomains).toEqual([{ name: "mail.example.com", enabled: true }]);

  const second = await deploy();
  expect(second.code, second.output).toBe(0);
  expect(emailCommands(second.commands)).toEqual(["email sending settings mail.example.com"]);
  expect(second.output).toContain("Email: Email Sending is enabled for mail.example.com");
});

it("a domain with Email Sending enabled is left alone; --email-domain names it without EMAIL_FROM", async () => {
  writeFileSync(join(dir, "state.json"), JSON.stringify({ ...state(), zones: [{ name: "example.com", sending: true, subdomains: [] }] }));
  const run = await deploy("--email-domain", "Example.com");
  expect(run.code, run.output).toBe(0);
  expect(emailCommands(run.commands)).toEqual(["email sending settings example.com"]);
  expect(run.output).toContain("Email: Email Sending is enabled for example.com");
});

it("a subdomain listed but not enabled under an enabled zone is enabled", async () => {
  emailFrom("codes@mail.example.com", [{ name: "example.com", sending: true, subdomains: [{ name: "mail.example.com", enabled: false }] }]);
  const run = await deploy();
  expect(run.code, run.output).toBe(0);
  expect(emailCommands(run.commands)).toContain("email sending enable mail.example.com");
});

it("--dry-run says it would enable Email Sending and enables nothing", async () => {
  emailFrom("codes@example.com", [{ name: "example.com", sending: false, subdomains: [] }]);
  const run = await deploy("--dry-run");
  expect(run.code, run.output).toBe(0);
  expect(emailCommands(run.commands)).toEqual(["email sending settings example.com"]);
  expect(run.output).toContain("Email: would enable Email Sending for example.com");
  expect(state().zones[0]!.sending).toBe(false);
});

it("a domain that cannot be enabled stops the deploy with what to do, no stack trace", async () => {
  emailFrom("codes@example.org", []);
  const run = await deploy();
  expect(run.code).toBe(1);
  expect(emailCommands(run.commands)).toEqual(["email sending settings example.org", "email sending enable example.org"]);
  expect(run.commands).not.toContain("deploy");
  expect(run.output).toContain("Email: Email Sending is not enabled for example.org (✘ [ERROR] Could not find a zone for `example.org`.");
  expect(run.output).toContain("deploy: Email Sending could not be enabled for example.org:\n✘ [ERROR] Could not find a zone");
  expect(run.output).toContain("Could not find a zone for `example.org`");
  expect(run.output).toContain("onboard it in the Cloudflare dashboard");
  expect(run.output).not.toMatch(/^\s+at /m);
});

it("warns when EMAIL_FROM is not among the binding's allowed_sender_addresses", async () => {
  emailFrom("codes@example.com", [{ name: "example.com", sending: true, subdomains: [] }]);
  writeFileSync(join(dir, "wrangler.toml"), toml().replace('name = "EMAIL"\n', 'name = "EMAIL"\nallowed_sender_addresses = ["alerts@example.com"]\n'));
  const run = await deploy();
  expect(run.code, run.output).toBe(0);
  expect(run.output).toContain("EMAIL_FROM codes@example.com is not in [[send_email]] allowed_sender_addresses (alerts@example.com)");
});

it("--env takes EMAIL_FROM from [env.NAME.vars] and passes --env to the email commands", async () => {
  emailFrom("codes@example.com", [{ name: "example.com", sending: false, subdomains: [] }]);
  // An environment inherits no vars or bindings: it gets its own, here without [[send_email]].
  const staging = `[env.staging.vars]\nEMAIL_FROM = "codes@staging.example.com"\n\n[[env.staging.kv_namespaces]]\nbinding = "KV"\nid = "${"b".repeat(32)}"\n`;
  writeFileSync(join(dir, "wrangler.toml"), `${toml()}\n${staging}`);
  const run = await deploy("--env", "staging");
  expect(run.code, run.output).toBe(0);
  expect(emailCommands(run.commands)).toEqual([
    "email sending settings staging.example.com",
    "email sending enable staging.example.com",
    "email sending dns get staging.example.com",
  ]);
  for (const call of run.calls.filter((call) => call.args[0] === "email")) expect(call.args.join(" ")).toContain("--env staging");
  expect(run.output).toContain("has no [[send_email]] binding named EMAIL for this target");
});
