// `npm run deploy`: creates what wrangler.toml binds and the account lacks (the KV namespace, the
// queues, Email Sending on the sending domain), puts the secrets the Worker lacks, deploys, and checks
// GET /api/status on the deployed URL.
// Safe to run again: what exists is left alone, a secret that is set is never overwritten. Each step
// is printed; no secret value is (the generated API key goes to a file only the user can read).
//   node scripts/deploy.mjs [--dry-run] [--env NAME] [--config wrangler.toml] [--url https://…] [--email-domain DOMAIN]
// --dry-run creates, enables and puts nothing, leaves wrangler.toml as it is and runs `wrangler deploy --dry-run`.
// WRANGLER_BIN names another wrangler CLI (the tests' double).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, stripVTControlCharacters } from "node:util";
import { unstable_readConfig } from "wrangler";

const PLACEHOLDER_ID = "0".repeat(32);
const STATUS_TRIES = 6;
const STATUS_PAUSE_MS = 2_000;

const { values: options } = parseArgs({
  options: {
    "dry-run": { type: "boolean", default: false },
    env: { type: "string" },
    config: { type: "string", default: "wrangler.toml" },
    url: { type: "string" },
    "email-domain": { type: "string" },
  },
});
const dryRun = options["dry-run"];
const configPath = resolve(options.config);
const bin = process.env.WRANGLER_BIN ?? fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const target = ["--config", configPath, ...(options.env ? ["--env", options.env] : [])];
// The name and bindings as wrangler itself reads them for this environment.
const config = unstable_readConfig({ config: configPath, env: options.env });

// Same formats as scripts/dev-vars.mjs; ENCRYPTION_KEY's key id is `k1` (prepend `k2:…` to rotate).
const SECRETS = {
  API_KEYS: () => randomBytes(24).toString("base64url"),
  JWT_SIGNING_KEY: () => randomBytes(32).toString("base64url"),
  ENCRYPTION_KEY: () => `k1:${randomBytes(32).toString("base64")}`,
};

function fail(message) {
  console.error(`deploy: ${message}`);
  process.exit(1);
}

/** Runs wrangler; `input` goes to its stdin (how `secret put` takes a value without a prompt). */
function wrangler(args, input = "") {
  const run = spawnSync(process.execPath, [bin, ...args], { input, encoding: "utf8", maxBuffer: 64 << 20 });
  // wrangler colours its output in CI too (supports-color): the parsing below reads plain text.
  return { ok: run.status === 0, stdout: stripVTControlCharacters(run.stdout ?? ""), stderr: stripVTControlCharacters(run.stderr ?? "") };
}

function mustRun(args, input) {
  const run = wrangler(args, input);
  if (!run.ok) fail(`\`wrangler ${args.join(" ")}\` failed:\n${run.stderr || run.stdout}`);
  return run.stdout;
}

function ensureKvNamespace() {
  const binding = config.kv_namespaces.find((namespace) => namespace.binding === "KV");
  if (!binding) fail(`${configPath} binds no KV namespace as KV`);
  if (binding.id !== PLACEHOLDER_ID) return console.log(`KV: bound to namespace ${binding.id}`);
  const title = `${config.name}-KV`;
  let id = JSON.parse(mustRun(["kv", "namespace", "list", ...target])).find((namespace) => namespace.title === title)?.id;
  if (id) console.log(`KV: namespace "${title}" exists (${id})`);
  else if (dryRun) return console.log(`KV: would create namespace "${title}"`);
  else {
    // No --env: wrangler would prefix the title with it, and config.name already carries it.
    id = /^id = "([0-9a-f]{32})"$/m.exec(mustRun(["kv", "namespace", "create", title, "--config", configPath]))?.[1];
    if (!id) fail(`no id in the output of \`wrangler kv namespace create ${title}\``);
    console.log(`KV: created namespace "${title}" (${id})`);
  }
  if (dryRun) return console.log(`KV: would write its id into ${configPath}`);
  const text = readFileSync(configPath, "utf8");
  if (text.split(`"${PLACEHOLDER_ID}"`).length !== 2) fail(`${configPath} has the placeholder id more than once: put ${id} into KV's binding by hand`);
  writeFileSync(configPath, text.replace(`"${PLACEHOLDER_ID}"`, `"${id}"`));
  console.log(`KV: wrote its id into ${configPath}`);
}

/** `wrangler queues list` prints a table (no JSON option), one page at a time: every cell of every page. */
function listedQueueCells() {
  const cells = new Set();
  for (let page = 1; ; page++) {
    const rows = mustRun(["queues", "list", "--page", String(page), ...target])
      .split("\n")
      .filter((line) => line.includes("│"))
      .slice(1); // the header
    if (rows.length === 0) return cells;
    for (const row of rows) for (const cell of row.split("│")) cells.add(cell.trim());
  }
}

function ensureQueues() {
  const { producers = [], consumers = [] } = config.queues ?? {};
  const names = new Set([...producers.map((p) => p.queue), ...consumers.flatMap((c) => [c.queue, c.dead_letter_queue])].filter(Boolean));
  if (names.size === 0) return;
  const listed = listedQueueCells();
  for (const name of names) {
    if (listed.has(name)) console.log(`Queue "${name}": exists`);
    else if (dryRun) console.log(`Queue "${name}": would create it`);
    else {
      mustRun(["queues", "create", name, ...target]);
      console.log(`Queue "${name}": created`);
    }
  }
}

function secretsSet() {
  const run = wrangler(["secret", "list", ...target]);
  if (run.ok) return new Set(JSON.parse(run.stdout).map((secret) => secret.name));
  // A first deploy: `secret put` makes the Worker (an empty draft that the deploy replaces).
  if (/Worker ".*" (\(env: .*\) )?not found/.test(run.stderr + run.stdout)) {
    console.log("Secrets: the Worker is not deployed yet, so none is set");
    return new Set();
  }
  fail(`\`wrangler secret list\` failed:\n${run.stderr || run.stdout}`);
}

function ensureSecrets() {
  const set = secretsSet();
  for (const [name, generate] of Object.entries(SECRETS)) {
    if (set.has(name)) console.log(`Secret ${name}: set, left as it is`);
    else if (dryRun) console.log(`Secret ${name}: would generate and put it`);
    else {
      const value = generate();
      // The API key is written before it is put: a key put but lost would lock the operator out.
      const keyFile = name === "API_KEYS" ? join(dirname(configPath), `.api-key-${config.name}`) : undefined;
      if (keyFile) {
        writeFileSync(keyFile, `${value}\n`, { mode: 0o600 });
        chmodSync(keyFile, 0o600); // when the file was there already
      }
      mustRun(["secret", "put", name, ...target], value);
      console.log(
        `Secret ${name}: generated and put${keyFile ? `; the API key is in ${keyFile} (only you can read it): keep it safe, then delete the file` : ""}`,
      );
    }
  }
}

/** wrangler's message (stderr, else stdout) without its warnings (an open-beta notice) or the stack frames an unexpected error may carry. */
function reason(run) {
  const lines = (text) => text.split("\n").filter((line) => line.trim() !== "" && !line.includes("[WARNING]") && !/^\s+at /.test(line));
  const errors = lines(run.stderr);
  return (errors.length > 0 ? errors : lines(run.stdout)).join("\n");
}

/**
 * Whether `wrangler email sending settings <domain>` says Email Sending is on for `domain` exactly: the
 * zone's `Enabled:` line, or the domain's line under `Subdomains:` (wrangler 4.86 has no --json here).
 */
function sendingEnabled(domain, output) {
  const zone = /^Email Sending for (\S+):$/m.exec(output)?.[1]?.toLowerCase();
  if (!zone) fail(`no "Email Sending for <zone>:" line in the output of \`wrangler email sending settings ${domain}\`:\n${output}`);
  if (zone === domain) return /^\s+Enabled:\s+true\s*$/m.test(output);
  const line = output.split("\n").find((row) => row.trim().toLowerCase().startsWith(`- ${domain} (`));
  return line !== undefined && /\(enabled: true\b/.test(line);
}

/** The binding refuses a sender outside allowed_sender_addresses when that list is set. */
function checkSender(from) {
  const binding = config.send_email.find((email) => email.name === "EMAIL");
  if (!binding)
    return console.log(
      `Email: warning: ${configPath} has no [[send_email]] binding named EMAIL for this target, so the Worker cannot send through Email Service`,
    );
  const allowed = binding.allowed_sender_addresses ?? [];
  if (from && allowed.length > 0 && !allowed.some((address) => address.toLowerCase() === from.toLowerCase())) {
    console.log(
      `Email: warning: EMAIL_FROM ${from} is not in [[send_email]] allowed_sender_addresses (${allowed.join(", ")}): the binding will refuse to send from it`,
    );
  }
}

/**
 * Email is on when there is a sending domain: --email-domain, else EMAIL_FROM's domain (this target's
 * [vars]). Email Sending is enabled on it unless it is already; DNS records are listed, never changed.
 */
function ensureEmailSending() {
  const from = config.vars.EMAIL_FROM?.trim();
  const domain = (options["email-domain"] ?? from?.slice(from.lastIndexOf("@") + 1))?.toLowerCase();
  if (!domain) {
    return console.log(
      "Email: off (EMAIL_FROM is not set and no --email-domain given), so nothing email-related runs: codes are emailed only through an SMTP integration stored with the API. For the Email Service binding, set EMAIL_FROM in [vars] to an address of the sending domain.",
    );
  }
  if (from !== undefined && !/^[^@\s]+@[^@\s]+$/.test(from)) fail(`EMAIL_FROM "${from}" in [vars] is not an email address`);
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) fail(`"${domain}" is not a domain name`);
  checkSender(from);
  const settings = wrangler(["email", "sending", "settings", domain, ...target]);
  if (settings.ok && sendingEnabled(domain, settings.stdout)) return console.log(`Email: Email Sending is enabled for ${domain}`);
  console.log(`Email: Email Sending is not enabled for ${domain}${settings.ok ? "" : ` (${reason(settings).split("\n")[0]})`}`);
  if (dryRun) return console.log(`Email: would enable Email Sending for ${domain} (\`wrangler email sending enable ${domain}\`)`);
  const enabled = wrangler(["email", "sending", "enable", domain, ...target]);
  if (!enabled.ok) {
    fail(
      `Email Sending could not be enabled for ${domain}:\n${reason(enabled)}\n` +
        `If ${domain} is not a zone on this account nor a subdomain of one, onboard it in the Cloudflare dashboard (Compute → Email Service → Email Sending → Onboard Domain) ` +
        `or send from a domain that is (EMAIL_FROM, --email-domain); then run the deploy again.`,
    );
  }
  console.log(`Email: enabled Email Sending for ${domain}`);
  const dns = wrangler(["email", "sending", "dns", "get", domain, ...target]);
  // Read-only: what `dns get` prints from the first record on (before it: wrangler's banner).
  const records = dns.stdout.slice(Math.max(0, dns.stdout.search(/^\S+ record:$/m))).trim();
  if (!dns.ok || !records.includes(" record:")) return console.log(`Email: no DNS records listed for ${domain}: ${reason(dns)}`);
  console.log(
    `Email: the DNS records ${domain} needs (Cloudflare adds them on a zone that uses its DNS; sending starts once they verify, \`wrangler email sending settings ${domain}\` shows when):\n${records}`,
  );
}

async function checkStatus(url) {
  const statusUrl = new URL("/api/status", url).href;
  let last = "";
  for (let attempt = 1; attempt <= STATUS_TRIES; attempt++) {
    try {
      const response = await fetch(statusUrl, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (response.status === 200 && JSON.parse(body).status === "ok") return console.log(`Status: ${statusUrl} answers 200 {"status":"ok"}`);
      last = `${response.status} ${body.slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (attempt < STATUS_TRIES) await new Promise((done) => setTimeout(done, STATUS_PAUSE_MS));
  }
  fail(`${statusUrl} did not answer 200 {"status":"ok"} in ${STATUS_TRIES} tries; last: ${last}`);
}

console.log(`Deploying Worker "${config.name}" with ${configPath}${dryRun ? " (dry run: nothing is created, put or deployed)" : ""}`);
ensureKvNamespace();
ensureQueues();
ensureEmailSending();
ensureSecrets();
const deployed = mustRun(["deploy", ...(dryRun ? ["--dry-run"] : []), ...target]);
process.stdout.write(deployed);
if (!dryRun) {
  // wrangler prints each target on its own indented line, the workers.dev one with its scheme.
  const url = options.url ?? /^\s+(https?:\/\/\S+)\s*$/m.exec(deployed)?.[1];
  if (!url) fail("no URL in `wrangler deploy`'s output (no workers.dev route?): pass --url https://… to check");
  await checkStatus(url);
}
