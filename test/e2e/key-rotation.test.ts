// Rotating ENCRYPTION_KEY and JWT_SIGNING_KEY as an operator does, against a `wrangler dev` of its
// own restarted on the same state: users enrolled under key a1 (an authenticator, recovery codes)
// and a webhook; then the keys prepended (`a2:…,a1:…`): the report shows what needs a1, an access
// token signed before still works, the sweep runs through the queue, and the report shows nothing
// left; then a1 removed: every user still logs in with the authenticator and a recovery code.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startDevServer, stop, type Server } from "./global-setup";
import { authenticatorCode, PASSWORD, uniqueEmail } from "./support";

const ROOT = join(import.meta.dirname, "..", "..");
const tempDir = mkdtempSync(join(tmpdir(), "legacy-two-factor-rotation-"));
const API_KEY = `e2e-rotation-${randomBytes(16).toString("hex")}`;
const A1 = `a1:${randomBytes(32).toString("base64")}`;
const A2 = `a2:${randomBytes(32).toString("base64")}`;
const J1 = `j1:${randomBytes(32).toString("base64url")}`;
const J2 = `j2:${randomBytes(32).toString("base64url")}`;

let running: { server: Server; baseUrl: string } | null = null;

/** Stops the server that runs, if any, and starts one with these keys on the same state. */
async function restart(encryptionKey: string, jwtSigningKey: string): Promise<string> {
  if (running) await stop(running.server);
  const servers: Server[] = [];
  const baseUrl = await startDevServer(servers, `wrangler dev (ENCRYPTION_KEY ${encryptionKey.replace(/:[^,]*/g, "")})`, {
    root: ROOT,
    stateDir: join(tempDir, "state"),
    log: join(ROOT, "test-results", "e2e", "wrangler-key-rotation.log"),
    vars: { API_KEYS: API_KEY, ENCRYPTION_KEY: encryptionKey, JWT_SIGNING_KEY: jwtSigningKey, LOGIN_REQUIRES_API_KEY: "true" },
  });
  running = { server: servers[0]!, baseUrl };
  return baseUrl;
}

afterAll(async () => {
  if (running) await stop(running.server);
  rmSync(tempDir, { recursive: true, force: true });
});

/** The fields of the answers this file reads. */
type Answer = {
  user?: { id: string };
  secret?: string;
  secretBase32Encoded?: string;
  recoveryCodes?: string[];
  twoFactorId?: string;
  token?: string;
  sweep?: { state: string } | null;
  oldKeys?: Record<string, unknown>;
};

const api = async (method: string, path: string, body?: unknown, authorization = API_KEY) => {
  const response = await fetch(`${running!.baseUrl}${path}`, {
    method,
    headers: { Authorization: authorization, ...(body !== undefined && { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Answer };
};

/** The password step, then `code`: the second step's status and body. */
async function logIn(email: string, code: () => string) {
  const started = await api("POST", "/api/login", { loginId: email, password: PASSWORD });
  expect(started.status, email).toBe(242);
  return api("POST", "/api/two-factor/login", { twoFactorId: started.body.twoFactorId, code: code() });
}

describe("rotating ENCRYPTION_KEY and JWT_SIGNING_KEY on a running deployment", () => {
  it("re-seals everything under the new key, after which the old one can go", { timeout: 180_000 }, async () => {
    await restart(A1, J1);
    const users = [];
    for (const label of ["rotation-a", "rotation-b"]) {
      const email = uniqueEmail(label);
      const created = await api("POST", "/api/user", { user: { email, password: PASSWORD } });
      expect(created.status).toBe(200);
      const secret = await api("GET", "/api/two-factor/secret");
      const base32 = secret.body.secretBase32Encoded!;
      const enabled = await api("POST", `/api/user/two-factor/${created.body.user!.id}`, {
        method: "authenticator",
        secret: secret.body.secret,
        code: authenticatorCode(base32),
      });
      expect(enabled.status).toBe(200);
      users.push({ email, base32, recoveryCodes: enabled.body.recoveryCodes! });
    }
    const webhook = {
      url: "https://hooks.example.com/in",
      eventsEnabled: { "user.login.success": true },
      headers: { Authorization: "Bearer hook" },
      signatureConfiguration: { enabled: true },
    };
    expect((await api("POST", "/api/webhook", { webhook })).status).toBe(200);
    const token = (await logIn(users[0]!.email, () => users[0]!.recoveryCodes[1]!)).body.token!;
    expect(token).toBeTruthy();

    await restart(`${A2},${A1}`, `${J2},${J1}`);
    const before = await api("GET", "/api/system/key-rotation");
    expect(before.body).toMatchObject({ currentKeyId: "a2", keyIds: ["a2", "a1"], sweep: null });
    expect(before.body.oldKeys!.a1).toEqual({ inSetting: true, users: null, webhooks: 1, integrationSecrets: 0 });
    expect((await api("GET", "/api/user", undefined, `Bearer ${token}`)).status).toBe(200); // signed by j1, which still verifies

    expect((await api("POST", "/api/system/key-rotation")).status).toBe(200);
    const deadline = Date.now() + 30_000;
    let after = await api("GET", "/api/system/key-rotation");
    while (after.body.sweep?.state !== "finished" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await api("GET", "/api/system/key-rotation");
    }
    expect(after.body.sweep).toMatchObject({ state: "finished", keyId: "a2", swept: 2 });
    expect(after.body.oldKeys!.a1).toEqual({ inSetting: true, users: 0, webhooks: 0, integrationSecrets: 0 });

    await restart(A2, J2);
    expect((await api("GET", "/api/system/key-rotation")).body.oldKeys).toEqual({});
    expect((await api("GET", "/api/user", undefined, `Bearer ${token}`)).status).toBe(401); // j1 is gone
    for (const user of users) {
      // The next time step: the enable used this one's code, and a code is used once.
      expect((await logIn(user.email, () => authenticatorCode(user.base32, 1))).status, user.email).toBe(200);
      expect((await logIn(user.email, () => user.recoveryCodes[0]!)).status, user.email).toBe(200);
    }
  });
});
