// A recorded-command double of the wrangler 4.86 CLI, for test/e2e/deploy-script.test.ts: answers the
// subcommands scripts/deploy.mjs uses as wrangler prints them (node_modules/wrangler/wrangler-dist/cli.js)
// and keeps its account in the JSON file FAKE_WRANGLER_STATE names: { namespaces: [{ id, title }],
// queues: [name], secrets: [name], workerExists, url, calls: [{ args, stdinLength }] }. Only the
// length of what came on stdin is kept, never the value.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const statePath = process.env.FAKE_WRANGLER_STATE;
const state = JSON.parse(readFileSync(statePath, "utf8"));
const args = process.argv.slice(2);
const stdin = process.stdin.isTTY ? "" : readFileSync(0, "utf8");
state.calls.push({ args, stdinLength: stdin.length });

const valued = new Set(["--config", "--env", "--page"]);
const words = args.filter((arg, i) => !arg.startsWith("--") && !valued.has(args[i - 1]));
const command = words.slice(0, words[0] === "kv" ? 3 : 2).join(" ");
const operand = words[command.split(" ").length];

function answer(text) {
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  process.stdout.write(`${text}\n`);
}

function refuse(message) {
  writeFileSync(statePath, JSON.stringify(state, null, 2));
  process.stderr.write(`✘ [ERROR] ${message}\n`);
  process.exit(1);
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
  default:
    refuse(`the double does not know \`wrangler ${args.join(" ")}\``);
}
