// Imports a FusionAuth Import API file of any size by posting it in chunks the Worker accepts.
// Usage: node scripts/import-users.mjs users.json [--url http://127.0.0.1:8787] [--key API_KEY] [--chunk 100]
// Each chunk is all-or-nothing; on a failed chunk the script stops and prints the errors, and the
// chunks before it stay imported (re-run with --skip N to continue after fixing the file).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    key: { type: "string", default: process.env.API_KEY },
    chunk: { type: "string", default: "100" },
    skip: { type: "string", default: "0" },
  },
});
if (!positionals[0] || !values.key) {
  console.error("usage: node scripts/import-users.mjs users.json --key API_KEY [--url URL] [--chunk 100] [--skip N]");
  process.exit(2);
}

const { users, ...options } = JSON.parse(readFileSync(positionals[0], "utf8"));
const size = Number(values.chunk);
for (let start = Number(values.skip); start < users.length; start += size) {
  const response = await fetch(`${values.url}/api/user/import`, {
    method: "POST",
    headers: { Authorization: values.key, "Content-Type": "application/json" },
    body: JSON.stringify({ ...options, users: users.slice(start, start + size) }),
  });
  if (response.status !== 200) {
    console.error(`users ${start}..${start + size - 1}: HTTP ${response.status} ${await response.text()}`);
    console.error(`Fix the file and re-run with --skip ${start}.`);
    process.exit(1);
  }
  console.log(`imported users ${start}..${Math.min(start + size, users.length) - 1}`);
}
