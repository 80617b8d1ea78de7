// `npm start`'s own log holds no live credential. `wrangler dev` logs every request's method, path
// and status at the info level ("[wrangler:info] POST /api/two-factor/send/<twoFactorId> 200 OK";
// miniflare's entry worker, maybeLogRequest), so a pending login's twoFactorId would land in the
// terminal. The start script runs wrangler with `--log-level warn`, which drops those lines and keeps
// warnings and errors. This test starts `wrangler dev` with exactly the flags of package.json's
// "start" script, drives a 2FA login with a resend, a trusted login and two 500s through it, and reads
// what it printed. (The suite's own server, test/e2e/global-setup.ts, keeps request logs for post-mortems.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devServerFlags, freePorts, start, stop, waitForHttp, type Server } from "./global-setup";
import { authenticatorCode } from "./support";

const ROOT = join(import.meta.dirname, "..", "..");
const API_KEY = `dev-logs-${randomBytes(16).toString("hex")}`;
const PASSWORD = "correct horse battery staple";

/** The arguments package.json's "start" script gives `wrangler dev` (through scripts/start.mjs, which passes them on). */
function startScriptArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } };
  const command = scripts.start
    .split("&&")
    .map((part) => part.trim())
    .find((part) => part.startsWith("node scripts/start.mjs"));
  expect(command, "npm start runs wrangler dev through scripts/start.mjs").toBeDefined();
  return command!.split(/\s+/).slice(2);
}

let server: Server;
let baseUrl = "";
let tempDir = "";

beforeAll(async () => {
  tempDir = mkdtempSync(join(tmpdir(), "legacy-two-factor-dev-logs-"));
  const envFile = join(tempDir, "empty.env");
  writeFileSync(envFile, "# Empty: no .dev.vars for this server.\n", { mode: 0o600 });
  const [port, inspectorPort] = await freePorts(2);
  baseUrl = `http://127.0.0.1:${port}`;
  const args = startScriptArgs();
  const portAt = args.indexOf("--port");
  expect(portAt).toBeGreaterThanOrEqual(0);
  args[portAt + 1] = String(port);
  // No JWT_SIGNING_KEY on purpose: a login that asks for a token then fails with a logged 500.
  const secrets = ["--var", `API_KEYS:${API_KEY}`, "--var", `ENCRYPTION_KEY:devlogs:${randomBytes(32).toString("base64")}`];
  const wrangler = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  const extra = devServerFlags(inspectorPort, join(tempDir, "state"), envFile);
  server = start([], "wrangler dev (npm start flags)", process.execPath, [wrangler, "dev", ...args, ...extra, ...secrets], {
    cwd: ROOT,
    log: join(tempDir, "wrangler.log"),
  });
  await waitForHttp(server, `${baseUrl}/api/status`, 60_000);
});

afterAll(async () => {
  if (server) await stop(server);
  if (tempDir) rmSync(tempDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

async function post(path: string, body: unknown, apiKey: string | null = API_KEY, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(apiKey ? { Authorization: apiKey } : {}), ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
}

/** What the server printed so far, once a moment has passed for the last lines to arrive. */
async function printed(): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return readFileSync(server.log, "utf8");
}

describe("the log of npm start's wrangler dev", () => {
  it("shows no twoFactorId, trust id or code, and still shows errors", async () => {
    // 2FA switched on through the User API, so no time step is used up: the current and the next
    // step's codes both work (one each), whatever the clock does in between.
    const secrets = await (await fetch(`${baseUrl}/api/two-factor/secret`, { headers: { Authorization: API_KEY } })).json();
    const email = `dev-logs-${randomBytes(6).toString("hex")}@example.com`;
    const created = await post("/api/user", { user: { email, password: PASSWORD, twoFactorEnabled: true, twoFactorSecret: secrets.secret } });
    expect(created.status).toBe(200);

    // 242, a resend (the path carries the twoFactorId), completion with trustComputer, a trusted login.
    const started = await post("/api/login", { loginId: email, password: PASSWORD, noJWT: true });
    expect(started.status).toBe(242);
    const twoFactorId = started.body.twoFactorId!;
    expect((await post(`/api/two-factor/send/${twoFactorId}`, {}, null)).status).toBeGreaterThanOrEqual(400); // no phone: refused
    const code = authenticatorCode(secrets.secretBase32Encoded);
    const completed = await post("/api/two-factor/login", { twoFactorId, code, trustComputer: true }, null);
    expect(completed.status).toBe(200);
    const trustId = completed.body.twoFactorTrustId!;
    expect(trustId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await post("/api/login", { loginId: email, password: PASSWORD, noJWT: true, twoFactorTrustId: trustId })).status).toBe(200);

    // The error path: a trusted login and a completed 2FA login that ask for a token the server
    // cannot sign (no JWT_SIGNING_KEY) answer 500 and log request.failed.
    expect((await post("/api/login", { loginId: email, password: PASSWORD, twoFactorTrustId: trustId })).status).toBe(500);
    const second = await post("/api/login", { loginId: email, password: PASSWORD });
    expect(second.status).toBe(242);
    const secondId = second.body.twoFactorId!;
    const nextCode = authenticatorCode(secrets.secretBase32Encoded, 1);
    expect((await post("/api/two-factor/login", { twoFactorId: secondId, code: nextCode }, null)).status).toBe(500);

    const log = await printed();
    // Errors still show, under the route pattern.
    expect(log).toMatch(/"event":"request\.failed".*"route":"\/api\/login"/);
    expect(log).toMatch(/"event":"request\.failed".*"route":"\/api\/two-factor\/login"/);
    for (const [label, value] of Object.entries({ twoFactorId, secondId, trustId, secret: secrets.secret, apiKey: API_KEY })) {
      expect(log.includes(value), `${label} in the log:\n${log}`).toBe(false);
    }
    for (const value of [code, nextCode]) expect(log, `code ${value} in the log`).not.toMatch(new RegExp(`(?<!\\d)${value}(?!\\d)`));
    // The request lines are what is gone: none for any path.
    expect(log).not.toMatch(/(POST|GET) \/api\//);
  });
});
