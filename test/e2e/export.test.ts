// The export's round trip: users imported into the running server (an
// authenticator with plaintext recovery codes, an authenticator beside an SMS method, one beside an
// email method, a legacy TextMessage enrolment) are written out by `npm run export`
// (scripts/export-users.mjs), imported file by file into a FRESH server (its own empty state and
// another ENCRYPTION_KEY), and there every one of them logs in: password → 242 → the TOTP code of the
// exported secret (otplib) → 200; one completes with a recovery code instead (that a code works once is
// test/routes/user-export.test.ts: Node's fetch cannot read a 421, which it retries on a new connection).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, stop, type Server } from "./global-setup";
import { authenticatorCode, e2e, newPhone, uniqueEmail } from "./support";

// PBKDF2-SHA256 of "migrated-password" with this salt and 24,000 iterations (as test/routes/user-import.test.ts).
const PASSWORD = "migrated-password";
const HASH = { password: "wrcOrDos+nm4KqL88/xsQSeRSMP8M1uK0bICREFUjh4=", salt: "ZnVzaW9uYXV0aC1pbXBvcnQtc2FsdC0wMTIzNDU2Nzg5", factor: 24000 };
const ROOT = join(import.meta.dirname, "..", "..");

const base64Secret = () => randomBytes(20).toString("base64");

/** RFC 4648 Base32, what otplib reads a secret as. */
function base32(bytes: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const byte of bytes) bits += byte.toString(2).padStart(8, "0");
  return (bits.match(/.{1,5}/g) ?? []).map((chunk) => alphabet[parseInt(chunk.padEnd(5, "0"), 2)]).join("");
}

const second = { baseUrl: "", apiKey: `e2e-second-${randomBytes(16).toString("hex")}` };
const servers: Server[] = [];
let tempDir = "";

beforeAll(async () => {
  tempDir = mkdtempSync(join(tmpdir(), "legacy-two-factor-export-"));
  second.baseUrl = await startDevServer(servers, "wrangler dev (fresh instance for the export)", {
    root: ROOT,
    stateDir: join(tempDir, "state"),
    log: join(ROOT, "test-results", "e2e", "wrangler-export-fresh.log"),
    vars: {
      API_KEYS: second.apiKey,
      JWT_SIGNING_KEY: randomBytes(32).toString("base64"),
      ENCRYPTION_KEY: `fresh1:${randomBytes(32).toString("base64")}`,
      LOGIN_REQUIRES_API_KEY: "true",
      SMS_REFUSED_NUMBER_TYPES: "premium-rate,shared-cost,satellite,non-geographic,toll-free",
    },
  });
});

afterAll(async () => {
  for (const server of servers) await stop(server);
  rmSync(tempDir, { recursive: true, force: true });
});

const post = (server: { baseUrl: string; apiKey: string }, path: string, body: unknown, apiKey = server.apiKey) =>
  fetch(`${server.baseUrl}${path}`, { method: "POST", headers: { Authorization: apiKey, "Content-Type": "application/json" }, body: JSON.stringify(body) });

/** Password step (242), then `code`: the status of the second step. */
async function logIn(server: typeof second, email: string, code: (twoFactorId: string) => string | Promise<string>): Promise<number> {
  const started = await post(server, "/api/login", { loginId: email, password: PASSWORD });
  expect(started.status, email).toBe(242);
  const { twoFactorId } = (await started.json()) as { twoFactorId: string };
  return (await post(server, "/api/two-factor/login", { twoFactorId, code: await code(twoFactorId) })).status;
}

describe("export, then import into a fresh instance", () => {
  it("every user logs in there and completes 2FA with the exported secret or a recovery code", async () => {
    const recoveryCodes = ["7K2QD-M0XW9", "ABCDE-FGH23"];
    const users = [
      { email: uniqueEmail("export-authenticator"), secret: base64Secret(), methods: [], recoveryCodes },
      { email: uniqueEmail("export-sms"), secret: base64Secret(), methods: [{ method: "sms", mobilePhone: newPhone().e164 }] },
      { email: uniqueEmail("export-email"), secret: base64Secret(), methods: [{ method: "email", email: uniqueEmail("export-inbox") }] },
    ];
    const imported = users.map((user) => ({
      email: user.email,
      ...HASH,
      encryptionScheme: "salted-pbkdf2-hmac-sha256",
      twoFactor: { methods: [{ method: "authenticator", secret: user.secret }, ...user.methods], recoveryCodes: user.recoveryCodes },
    }));
    const texted = { email: uniqueEmail("export-texted"), secret: base64Secret(), mobilePhone: newPhone().e164 };
    imported.push({
      email: texted.email,
      ...HASH,
      encryptionScheme: "salted-pbkdf2-hmac-sha256",
      ...({ mobilePhone: texted.mobilePhone, twoFactorEnabled: true, twoFactorDelivery: "TextMessage", twoFactorSecret: texted.secret } as object),
    } as (typeof imported)[number]);
    const first = await post(e2e, "/api/user/import", { users: imported });
    expect(first.status, await first.text()).toBe(200);

    const outDir = join(tempDir, "export");
    mkdirSync(outDir);
    const run = spawnSync(process.execPath, [join(ROOT, "scripts", "export-users.mjs"), "--url", e2e.baseUrl, "--out", join(outDir, "users.json")], {
      env: { ...process.env, EXPORT_KEY: e2e.exportKey },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(`${run.stdout}${run.stderr}`).not.toContain(e2e.exportKey);
    const files = readdirSync(outDir).sort();
    expect(files[0]).toBe("users-0001.json");
    for (const file of files) {
      const path = join(outDir, file);
      expect(statSync(path).mode & 0o077).toBe(0); // hashes and secrets: the owner's only
      expect(statSync(path).size).toBeLessThan(1024 * 1024);
      const response = await post(second, "/api/user/import", JSON.parse(readFileSync(path, "utf8")));
      expect(response.status, `${file}: ${await response.text()}`).toBe(200);
    }

    for (const user of [...users, texted]) {
      const key = base32(Buffer.from(user.secret, "base64"));
      expect(await logIn(second, user.email, () => authenticatorCode(key)), user.email).toBe(200);
    }
    expect(await logIn(second, users[0]!.email, () => "7k2qd m0xw9")).toBe(200);
    const retrieved = await fetch(`${second.baseUrl}/api/user?email=${encodeURIComponent(texted.email)}`, { headers: { Authorization: second.apiKey } });
    expect(((await retrieved.json()) as { user: { twoFactorDelivery: string } }).user.twoFactorDelivery).toBe("TextMessage");
  });
});
