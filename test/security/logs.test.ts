// Nothing secret reaches the console: across full flows — a user created with a password,
// authenticator 2FA enabled, a 242 login completed with trustComputer, a trusted login, recovery codes
// generated and one used, a webhook with its signing key, SMS enrolment, login and resend through the
// fake Twilio, a Twilio integration PUT with an auth token, a disable, and forced 500s — no log line
// holds a password, a TOTP or SMS code, a recovery code, a JWT, a trust id, a 2FA secret (either form),
// a webhook signing key, a Twilio auth token, the API key or a pending twoFactorId. Failed login steps
// (resend, completion, trusted login, disable) are logged under their route pattern, with
// credential-like runs of the error message blanked. `wrangler dev`'s own request log is
// test/e2e/dev-logs.test.ts.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_AUTH_TOKEN } from "../fake-twilio/handler";
import { advanceClock, API_KEY, call, captureConsole, codeFor, freezeClock, jsonBody, login, twoFactorLogin, uniqueEmail } from "../helpers";
import { configureTwilio, installFakeTwilio, lastCodeTo, sendDuringLogin, sendToPhone } from "../twilio-fake";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Secrets that must never be logged; codes are matched as whole numbers only. */
class Secrets {
  readonly values = new Map<string, string>();
  readonly codes = new Set<string>();
  add(label: string, value: string): string {
    expect(value, label).toBeTruthy();
    this.values.set(label, value);
    return value;
  }
  code(value: string): string {
    expect(value).toMatch(/^\d{6}$/);
    this.codes.add(value);
    return value;
  }
  leaksIn(lines: string[]): string[] {
    const output = lines.join("\n");
    const leaks = [...this.values].filter(([, value]) => output.includes(value)).map(([label]) => label);
    for (const code of this.codes) if (new RegExp(`(?<!\\d)${code}(?!\\d)`).test(output)) leaks.push(`code ${code}`);
    return leaks;
  }
}

async function createUserWith(secrets: Secrets, label: string, fields: Record<string, unknown> = {}) {
  const email = uniqueEmail(label);
  const password = secrets.add(`${label} password`, `pw-${crypto.randomUUID()}`);
  const response = await call("POST", "/api/user", { body: { user: { email, password, ...fields } } });
  expect(response.status).toBe(200);
  return { id: ((await response.json()) as { user: { id: string } }).user.id, email, password };
}

describe("the console during full flows", () => {
  it("holds no password, code, token, trust id, secret, Twilio auth token or API key", async () => {
    const logs = captureConsole();
    const secrets = new Secrets();
    secrets.add("API key", API_KEY);
    const fake = installFakeTwilio();
    freezeClock();

    // Twilio integration with a token Twilio refuses (so a failure is logged), then the working one.
    const wrongToken = secrets.add("rejected Twilio auth token", `twilio-token-${crypto.randomUUID()}`);
    expect((await configureTwilio({ authToken: wrongToken })).status).toBe(200);
    expect((await sendToPhone("555-555-0601", (await jsonBody(await call("GET", "/api/two-factor/secret"))).secret)).status).toBe(400);
    secrets.add("Twilio auth token", DEFAULT_AUTH_TOKEN);
    expect((await configureTwilio()).status).toBe(200);

    // Authenticator 2FA: enable, 242, completion with trustComputer, a trusted login, a JWT call.
    const alice = await createUserWith(secrets, "alice");
    const generated = await jsonBody(await call("GET", "/api/two-factor/secret"));
    const secret = secrets.add("secret", generated.secret);
    secrets.add("secretBase32Encoded", generated.secretBase32Encoded);
    expect((await call("PUT", `/api/user/two-factor/${alice.id}`, { body: { code: secrets.code(await codeFor(secret)), secret } })).status).toBe(200);
    const started = await login(alice.email, alice.password);
    const { twoFactorId } = await jsonBody(started);
    secrets.add("twoFactorId", twoFactorId);
    const completed = await jsonBody(await twoFactorLogin({ twoFactorId, code: secrets.code(await codeFor(secret, 1)), trustComputer: true }));
    secrets.add("JWT", completed.token);
    const trustId = secrets.add("trust id", completed.twoFactorTrustId);
    const trusted = await jsonBody(await login(alice.email, alice.password, { twoFactorTrustId: trustId }));
    secrets.add("trusted JWT", trusted.token);
    expect((await call("GET", "/api/two-factor/secret", { apiKey: null, headers: { Authorization: `Bearer ${trusted.token}` } })).status).toBe(200);

    // SMS: enrolment text, enable, login text, resend, completion.
    const bob = await createUserWith(secrets, "bob", { mobilePhone: "555-555-0602" });
    const smsSecret = secrets.add("SMS secret", (await jsonBody(await call("GET", "/api/two-factor/secret"))).secret);
    expect((await sendToPhone("555-555-0602", smsSecret)).status).toBe(200);
    const enrolCode = secrets.code(lastCodeTo(fake, "+15555550602"));
    expect((await call("PUT", `/api/user/two-factor/${bob.id}`, { body: { code: enrolCode, secret: smsSecret, delivery: "TextMessage" } })).status).toBe(200);
    advanceClock(31);
    const { twoFactorId: smsChallenge } = await jsonBody(await login(bob.email, bob.password));
    secrets.add("SMS twoFactorId", smsChallenge);
    secrets.code(lastCodeTo(fake, "+15555550602"));
    advanceClock(31);
    expect((await sendDuringLogin(smsChallenge)).status).toBe(200);
    const smsDone = await jsonBody(await twoFactorLogin({ twoFactorId: smsChallenge, code: secrets.code(lastCodeTo(fake, "+15555550602")) }));
    secrets.add("SMS JWT", smsDone.token);

    // Recovery codes: generated, one completes a login (typed without its dash).
    const recoveryCodes = (await jsonBody(await call("POST", `/api/user/two-factor/recovery-code/${alice.id}`))).recoveryCodes as string[];
    recoveryCodes.forEach((code, index) => {
      secrets.add(`recovery code ${index}`, code);
      secrets.add(`recovery code ${index} as stored`, code.replace("-", ""));
    });
    const { twoFactorId: recoveryLogin } = await jsonBody(await login(alice.email, alice.password));
    secrets.add("recovery twoFactorId", recoveryLogin);
    secrets.add("recovery JWT", (await jsonBody(await twoFactorLogin({ twoFactorId: recoveryLogin, code: recoveryCodes[0]!.replace("-", "") }))).token);

    // A webhook with its signing key (write-only, answered once).
    const hook = await call("POST", "/api/webhook", {
      body: { webhook: { url: "https://receiver.example/hooks", eventsEnabled: { "user.login.success": true } } },
    });
    secrets.add("webhook signing key", (await jsonBody(hook)).webhook.signatureConfiguration.signingKey);

    // Disable with a code in the query string.
    expect((await call("DELETE", `/api/user/two-factor/${alice.id}?code=${secrets.code(await codeFor(secret))}`)).status).toBe(200);

    // A forced 500 in the middle of a login carrying the password and the API key.
    vi.spyOn(env.KV, "get").mockRejectedValueOnce(new Error("injected KV failure"));
    expect((await login(alice.email, alice.password)).status).toBe(500);

    expect(logs.some((line) => line.includes("request.failed"))).toBe(true);
    expect(logs.some((line) => line.includes("sms.sent"))).toBe(true);
    expect(secrets.leaksIn(logs)).toEqual([]);
  });

  it("logs each failed login step under its route pattern, without its twoFactorId, trust id or code", async () => {
    const logs = captureConsole();
    const secrets = new Secrets();
    const user = await createUserWith(secrets, "dave");
    const secret = secrets.add("secret", (await jsonBody(await call("GET", "/api/two-factor/secret"))).secret);
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: secret } } })).status).toBe(200);
    freezeClock();
    // A full flow first: a 242, a completion with trustComputer, a trusted login.
    const first = secrets.add("twoFactorId", (await jsonBody(await login(user.email, user.password))).twoFactorId);
    const done = await jsonBody(await twoFactorLogin({ twoFactorId: first, code: secrets.code(await codeFor(secret)), trustComputer: true }));
    const trustId = secrets.add("trust id", done.twoFactorTrustId);
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId })).status).toBe(200);
    const pending = secrets.add("pending twoFactorId", (await jsonBody(await login(user.email, user.password))).twoFactorId);
    advanceClock(30);
    const code = secrets.code(await codeFor(secret));

    // Then every step that carries a live credential fails with an error that echoes them, as a
    // library error might.
    const failure = vi.spyOn(env.USER_GUARD, "get").mockImplementation(() => {
      throw new Error(`injected failure: challenge ${pending} of trust ${trustId} unavailable`);
    });
    expect((await sendDuringLogin(pending)).status).toBe(500);
    expect((await twoFactorLogin({ twoFactorId: pending, code, trustComputer: true })).status).toBe(500);
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId }, { Cookie: `fusionauth.trust=${trustId}` })).status).toBe(500);
    expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${code}`)).status).toBe(500);
    expect((await call("DELETE", `/api/user/two-factor?userId=${user.id}&code=${code}`)).status).toBe(500);
    failure.mockRestore();

    const failed = logs.filter((line) => line.includes("request.failed")).map((line) => JSON.parse(line) as { route: string; error: string });
    expect(failed.map(({ route }) => route)).toEqual([
      "/api/two-factor/send/:twoFactorId",
      "/api/two-factor/login",
      "/api/login",
      "/api/user/two-factor/:userId",
      "/api/user/two-factor",
    ]);
    for (const { error } of failed) expect(error).toBe("Error: injected failure: challenge [redacted] of trust [redacted] unavailable");
    expect(secrets.leaksIn(logs)).toEqual([]);
    // The pending login is untouched by the failures and still completes with the same code.
    expect((await twoFactorLogin({ twoFactorId: pending, code })).status).toBe(200);
    expect(secrets.leaksIn(logs)).toEqual([]);
  });

  it("does not log the twoFactorId of a login whose resend fails with a 500", async () => {
    const logs = captureConsole();
    const user = await createUserWith(new Secrets(), "carol");
    const secret = (await jsonBody(await call("GET", "/api/two-factor/secret"))).secret;
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: secret } } })).status).toBe(200);
    const { twoFactorId } = await jsonBody(await login(user.email, user.password));
    vi.spyOn(env.USER_GUARD, "get").mockImplementation(() => {
      throw new Error("injected Durable Object failure");
    });
    expect((await sendDuringLogin(twoFactorId)).status).toBe(500);
    expect(logs.some((line) => line.includes("request.failed"))).toBe(true);
    expect(logs.filter((line) => line.includes(twoFactorId))).toEqual([]);
  });
});
