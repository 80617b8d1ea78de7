// A recorded-command double of the wrangler 4.86 CLI, for test/e2e/deploy-script.test.ts: answers the
// subcommands scripts/deploy.mjs uses as wrangler prints them (node_modules/wrangler/wrangler-dist/cli.js)
// and keeps its account in the JSON file FAKE_WRANGLER_STATE names: { namespaces: [{ id, title }],
// queues: [name], secrets: [name], workerExists, url, zones: [{ name, sending, subdomains: [{ name,
// enabled }] }] (Email Sending per zone and sending subdomain), calls: [{ args, stdinLength }] }. Only
// the length of what came on stdin is kept, never the value.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const statePath = process.env.FAKE_WRANGLER_STATE;
const state = JSON.parse(readFileSync(statePath, "utf8"));
const args = process.argv.slice(2);
const stdin = process.stdin.isTTY ? "" : readFileSync(0, "utf8");
state.calls.push({ args, stdinLength: stdin.length });

const valued = new Set(["--config", "--env", "--page"]);
const words = args.filter((arg, i) => !arg.startsWith("--") && !valued.has(args[i - 1]));
const depth = { kv: 3, email: words[2] === "dns" ? 4 : 3 }[words[0]] ?? 2;
const command = words.slice(0, depth).join(" ");
const operand = words[command.split(" ").length];

function answer(text) {
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  process.stdout.write(`${text}\n`);
}

function refuse(message) {
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  process.stderr.write(`\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1m${message}\x1b[0m\n`); // coloured, as wrangler prints in CI
  process.exit(1);
}

/** What an `email sending` command prints first: the banner on stdout, the open-beta warning on stderr. */
function emailSendingBanner() {
  process.stderr.write(
    `\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1m🚧 \`wrangler ${command}\` is an open beta command. Please report any issues to https://github.com/cloudflare/workers-sdk/issues/new/choose\x1b[0m\n\n`,
  );
  process.stdout.write(`\n ⛅️ wrangler 4.86.0\n${"─".repeat(20)}\n`);
}

/** resolveDomain: the zone that is the domain or its nearest parent on the account. */
function zoneOf(domain) {
  const labels = domain.split(".");
  for (let i = 0; i <= labels.length - 2; i++) {
    const zone = (state.zones ?? []).find((candidate) => candidate.name === labels.slice(i).join("."));
    if (zone) return zone;
  }
  refuse(`Could not find a zone for \`${domain}\`. Make sure the domain or its parent zone exists in your account.`);
}

/** logger.table's layout (cli-table3, no colours when not on a terminal). */
function table(rows) {
  if (rows.length === 0) return "┌┐\n└┘";
  const head = Object.keys(rows[0]);
  const line = (cells) => `│ ${cells.join(" │ ")} │`;
  return ["┌─┐", line(head), "├─┤", ...rows.map((row) => line(head.map((key) => row[key]))), "└─┘"].join("\n");
}

switch (command) {
  case "kv namespace list":
    answer(JSON.stringify(state.namespaces, null, "  "));
    break;
  case "kv namespace create": {
    if (state.namespaces.some((namespace) => namespace.title === operand)) refuse(`A KV namespace with the title "${operand}" already exists.`);
    const id = randomBytes(16).toString("hex");
    state.namespaces.push({ id, title: operand });
    answer(
      `🌀 Creating namespace with title "${operand}"\n✨ Success!\n` +
        `To access your new KV Namespace in your Worker, add the following snippet to your configuration file:\n` +
        `[[kv_namespaces]]\nbinding = "${operand.replace(/-/g, "_")}"\nid = "${id}"`,
    );
    break;
  }
  case "queues list": {
    const page = Number(args[args.indexOf("--page") + 1] ?? 1);
    const rows = page === 1 ? state.queues.map((name, i) => ({ id: `q${i}`, name, producers: "0", consumers: "0" })) : [];
    answer(table(rows));
    break;
  }
  case "queues create":
    if (state.queues.includes(operand)) refuse(`A queue with name "${operand}" already exists.`);
    state.queues.push(operand);
    answer(`🌀 Creating queue '${operand}'\n✅ Created queue '${operand}'`);
    break;
  case "secret list":
    if (!state.workerExists) refuse(`Worker "legacy-two-factor" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`);
    answer(
      JSON.stringify(
        state.secrets.map((name) => ({ name, type: "secret_text" })),
        null,
        "  ",
      ),
    );
    break;
  case "secret put":
    if (stdin.trim() === "") refuse("no secret value on stdin");
    state.workerExists = true; // wrangler makes a draft Worker for a secret put before the first deploy
    if (!state.secrets.includes(operand)) state.secrets.push(operand);
    answer(`🌀 Creating the secret for the Worker "legacy-two-factor"\n✨ Success! Uploaded secret ${operand}`);
    break;
  case "deploy":
    if (args.includes("--dry-run")) answer("Total Upload: 900.00 KiB / gzip: 200.00 KiB\n--dry-run: exiting now.");
    else {
      state.workerExists = true;
      answer(
        `Total Upload: 900.00 KiB / gzip: 200.00 KiB\nUploaded legacy-two-factor (2.00 sec)\n` +
          `Deployed legacy-two-factor triggers (0.50 sec)\n  ${state.url}\n  Consumer for legacy-two-factor-events\n` +
          `Current Version ID: ${randomUUID()}`,
      );
    }
    break;
  case "email sending settings": {
    emailSendingBanner();
    const zone = zoneOf(operand);
    const status = (enabled) => (enabled ? "ready" : "disabled");
    const subdomains = zone.subdomains.map((sub) => `    - ${sub.name} (enabled: ${sub.enabled}, status: ${status(sub.enabled)})`);
    answer(
      `Email Sending for ${zone.name}:\n  Enabled:  ${zone.sending}\n  Status:   ${status(zone.sending)}\n` +
        `  Created:  2026-01-01T00:00:00Z\n  Modified: 2026-01-01T00:00:00Z` +
        (subdomains.length > 0 ? `\n  Subdomains:\n${subdomains.join("\n")}` : ""),
    );
    break;
  }
  case "email sending enable": {
    emailSendingBanner();
    const zone = zoneOf(operand);
    if (operand === zone.name) zone.sending = true;
    else {
      const sub = zone.subdomains.find((candidate) => candidate.name === operand);
      if (sub) sub.enabled = true;
      else zone.subdomains.push({ name: operand, enabled: true });
    }
    answer(`Email Sending enabled for ${operand} (status: ready)`);
    break;
  }
  case "email sending dns get": {
    emailSendingBanner();
    const zone = zoneOf(operand);
    if (operand !== zone.name && !zone.subdomains.some((sub) => sub.name === operand)) {
      refuse(`No sending subdomain found for \`${operand}\`. Run \`wrangler email sending settings ${operand}\` to see configured domains.`);
    }
    const records = [
      { type: "TXT", name: `cf-bounce.${operand}`, content: "v=spf1 include:_spf.mx.cloudflare.net ~all", ttl: 1 },
      { type: "MX", name: `cf-bounce.${operand}`, content: "route1.mx.cloudflare.net", priority: 10, ttl: 1 },
      { type: "TXT", name: `cf-bounce._domainkey.${operand}`, content: "v=DKIM1; h=sha256; k=rsa; p=MIIBIjANBgkqh", ttl: 1 },
      { type: "TXT", name: `_dmarc.${operand}`, content: "v=DMARC1; p=reject", ttl: 1 },
    ];
    const lines = records.flatMap((r) => [
      `${r.type} record:`,
      `  Name:     ${r.name}`,
      `  Content:  ${r.content}`,
      ...(r.priority === undefined ? [] : [`  Priority: ${r.priority}`]),
      `  TTL:      ${r.ttl}`,
      "",
    ]);
    answer(lines.join("\n"));
    break;
  }
  default:
    refuse(`the double does not know \`wrangler ${args.join(" ")}\``);
}
