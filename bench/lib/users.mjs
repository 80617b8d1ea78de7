// Users with 2FA for the benchmark scripts (an authenticator, or a 1.26+ sms method), and their
// import through `POST /api/user/import` (100 per request, one PBKDF2 hash computed here and reused,
// the TOTP secret or the method set: no enrolment step).
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { PASSWORD, phoneOf } from "./requests.mjs";
import { waitForOpenDatabases } from "./servers.mjs";
import { newSecret } from "./totp.mjs";

export const PASSWORD_FACTOR = 24_000;

/**
 * `count` users, numbered from `first` (their emails `${prefix}${n}@example.com`, their phones in
 * different number ranges): `{ id, email, phone, key, secret, last }`, `last` being the last TOTP
 * step used (none yet); with `sms`, `{ id, email, phone, methods }`: no authenticator, one 1.26+
 * `sms` method on their own phone.
 */
export function twoFactorUsers(count, { prefix = "bench", first = 0, sms = false } = {}) {
  return Array.from({ length: count }, (_, i) => {
    const phone = phoneOf(first + i);
    const factor = sms ? { methods: [{ method: "sms", mobilePhone: phone }] } : { last: -1, ...newSecret() };
    return { id: crypto.randomUUID(), email: `${prefix}${first + i}@example.com`, phone, ...factor };
  });
}

/**
 * Imports `users` into the Worker at `url` (`headers` carry the API key), their password hashed with
 * PBKDF2 at `factor` iterations (their logins check it at that factor, whatever the Worker's
 * PASSWORD_FACTOR). Before each request waits until the workerd `pid` has at most
 * `maxOpenDatabases` SQLite databases open (each imported user's object stays open for a few
 * seconds, and local workerd fails past a few thousand). Returns the milliseconds spent waiting.
 */
export async function importTwoFactorUsers({ url, headers, pid, users, maxOpenDatabases = 2_000, factor = PASSWORD_FACTOR }) {
  const salt = randomBytes(32);
  const hash = pbkdf2Sync(PASSWORD, salt, factor, 32, "sha256").toString("base64");
  let waitedMs = 0;
  for (let n = 0; n < users.length; n += 100) {
    waitedMs += await waitForOpenDatabases(pid, maxOpenDatabases, 60_000);
    const body = JSON.stringify({
      users: users.slice(n, n + 100).map((user) => ({
        id: user.id,
        email: user.email,
        mobilePhone: user.phone,
        password: hash,
        salt: salt.toString("base64"),
        factor,
        encryptionScheme: "salted-pbkdf2-hmac-sha256",
        ...(user.methods ? { twoFactor: { methods: user.methods } } : { twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: user.secret }),
      })),
    });
    const response = await fetch(`${url}/api/user/import`, { method: "POST", headers, body });
    if (response.status !== 200) throw new Error(`POST /api/user/import: HTTP ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  }
  return waitedMs;
}
