import { describe, expect, it } from "vitest";
import { call, codeFor, login, uniqueEmail } from "../helpers";

// Computed independently with Python's hashlib.pbkdf2_hmac("sha256", b"migrated-password", salt, 24000).
const FUSIONAUTH_SALT = "ZnVzaW9uYXV0aC1pbXBvcnQtc2FsdC0wMTIzNDU2Nzg5";
const FUSIONAUTH_HASH = "wrcOrDos+nm4KqL88/xsQSeRSMP8M1uK0bICREFUjh4=";
const PASSWORD = "migrated-password";

function exported(fields: Record<string, unknown> = {}) {
  return {
    email: uniqueEmail("imported"),
    password: FUSIONAUTH_HASH,
    salt: FUSIONAUTH_SALT,
    factor: 24000,
    encryptionScheme: "salted-pbkdf2-hmac-sha256",
    ...fields,
  };
}

async function importUsers(users: unknown[], extra: Record<string, unknown> = {}) {
  return call("POST", "/api/user/import", { body: { users, ...extra } });
}

describe("user import", () => {
  it("imports a FusionAuth user who then logs in with the original password", async () => {
    const user = exported({ firstName: "Migrated", insertInstant: 1600000000000 });
    const response = await importUsers([user]);
    expect(response.status, await response.text()).toBe(200);
    expect(response.headers.get("Content-Type")).toBeNull();
    const loggedIn = await login(user.email, PASSWORD);
    expect(loggedIn.status).toBe(200);
    const body = (await loggedIn.json()) as { user: { firstName: string; insertInstant: number } };
    expect(body.user).toMatchObject({ firstName: "Migrated", insertInstant: 1600000000000 });
    expect((await login(user.email, "wrong-password")).status).toBe(404);
  });

  it("keeps an imported user's 2FA secret so they finish login without re-enrolling", async () => {
    const secret = "SP2m6K2Dg/x2JN9DyQvZ"; // a real FusionAuth 2020 secret
    const user = exported({ twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: secret });
    expect((await importUsers([user])).status).toBe(200);
    const started = await login(user.email, PASSWORD);
    expect(started.status).toBe(242);
    const { twoFactorId } = (await started.json()) as { twoFactorId: string };
    const done = await call("POST", "/api/two-factor/login", { apiKey: null, body: { twoFactorId, code: await codeFor(secret) } });
    expect(done.status).toBe(200);
  });

  it("keeps imported recovery codes (hashed on the way in) that then work once each", async () => {
    const codes = ["ABCDE-FGH23", "jklmn pqrs4"];
    const user = exported({ twoFactorEnabled: true, twoFactorSecret: "SP2m6K2Dg/x2JN9DyQvZ", twoFactorRecoveryCodes: codes });
    expect((await importUsers([user])).status).toBe(200);
    const twoFactorId = async () => ((await (await login(user.email, PASSWORD)).json()) as { twoFactorId: string }).twoFactorId;
    const complete = async (code: string) =>
      (await call("POST", "/api/two-factor/login", { apiKey: null, body: { twoFactorId: await twoFactorId(), code } })).status;
    expect(await complete("JKLMN-PQRS4")).toBe(200);
    expect(await complete("JKLMN-PQRS4")).toBe(421);
    expect(await complete("abcdefgh23")).toBe(200);
  });

  it("refuses recovery codes that are malformed or belong to a user without 2FA, importing nothing", async () => {
    const withoutTwoFactor = exported({ twoFactorRecoveryCodes: ["ABCDE-FGH23"] });
    const malformed = exported({ twoFactorEnabled: true, twoFactorSecret: "SP2m6K2Dg/x2JN9DyQvZ", twoFactorRecoveryCodes: ["ABCDE-FGH2"] });
    const response = await importUsers([withoutTwoFactor, malformed]);
    expect(response.status).toBe(400);
    const { fieldErrors } = (await response.json()) as { fieldErrors: Record<string, Array<{ code: string }>> };
    expect(Object.keys(fieldErrors).sort()).toEqual(["users.0.twoFactorRecoveryCodes", "users.1.twoFactorRecoveryCodes"]);
    expect((await login(withoutTwoFactor.email, PASSWORD)).status).toBe(404);
  });

  it("uses the request-level scheme and factor when a user has none", async () => {
    const { factor: _f, encryptionScheme: _s, ...user } = exported();
    expect((await importUsers([user], { factor: 24000, encryptionScheme: "salted-pbkdf2-hmac-sha256" })).status).toBe(200);
    expect((await login(user.email as string, PASSWORD)).status).toBe(200);
  });

  it("rejects the whole batch when one user duplicates another, and keeps nothing", async () => {
    const first = exported();
    const clash = exported({ email: first.email.toUpperCase() });
    const response = await importUsers([first, clash]);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { fieldErrors: Record<string, Array<{ code: string }>> };
    expect(body.fieldErrors["users.1.email"]?.[0]?.code).toBe("[duplicate]users.1.email");
    expect((await call("GET", `/api/user?email=${encodeURIComponent(first.email)}`)).status).toBe(404);
  });

  it("rejects a user whose email already exists and writes none of the batch", async () => {
    const existing = exported();
    expect((await importUsers([existing])).status).toBe(200);
    const fresh = exported();
    const response = await importUsers([fresh, exported({ email: existing.email })]);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("[duplicate]users.1.email");
    expect((await login(fresh.email, PASSWORD)).status).toBe(404);
  });

  it("refuses factors above the Workers PBKDF2 limit and unknown schemes with field errors", async () => {
    const response = await importUsers([exported({ factor: 100001 }), exported({ encryptionScheme: "bcrypt" })]);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { fieldErrors: Record<string, Array<{ code: string }>> };
    expect(body.fieldErrors["users.0.factor"]?.[0]?.code).toBe("[invalid]users.0.factor");
  });

  it("reports an unsupported scheme and a missing salt against the user's index", async () => {
    const response = await importUsers([exported({ encryptionScheme: "bcrypt", salt: undefined })]);
    const body = (await response.json()) as { fieldErrors: Record<string, Array<{ code: string }>> };
    expect(Object.keys(body.fieldErrors).sort()).toEqual(["users.0.encryptionScheme", "users.0.salt"]);
  });

  it("rejects 2FA users without a secret or a phone as the User API does", async () => {
    const response = await importUsers([exported({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" })]);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("[blank]users.0.mobilePhone");
  });

  it("refuses a mobilePhone that is no phone number as the User API does, and writes none of the batch", async () => {
    const fine = exported({ mobilePhone: "555-555-0160" });
    const response = await importUsers([fine, exported({ mobilePhone: "12" })]);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { fieldErrors: Record<string, Array<{ code: string }>> };
    expect(Object.keys(body.fieldErrors)).toEqual(["users.1.mobilePhone"]);
    expect(body.fieldErrors["users.1.mobilePhone"]?.map((error) => error.code)).toEqual(["[invalid]users.1.mobilePhone"]);
    expect((await login(fine.email, PASSWORD)).status).toBe(404);
  });

  // @fusionauth/typescript-client before 1.19 declared TwoFactorDelivery as a numeric enum and sent 0 / 1.
  it("reads the numeric twoFactorDelivery 0 / 1 of clients before 1.19 and answers the names", async () => {
    const none = exported({ twoFactorEnabled: true, twoFactorDelivery: 0, twoFactorSecret: "SP2m6K2Dg/x2JN9DyQvZ" });
    const text = exported({ mobilePhone: "+15555550129", twoFactorEnabled: true, twoFactorDelivery: 1, twoFactorSecret: "SP2m6K2Dg/x2JN9DyQvZ" });
    const response = await importUsers([none, text]);
    expect(response.status, await response.text()).toBe(200);
    for (const [user, delivery] of [
      [none, "None"],
      [text, "TextMessage"],
    ] as const) {
      const found = await call("GET", `/api/user?email=${encodeURIComponent(user.email)}`);
      expect(((await found.json()) as { user: Record<string, unknown> }).user).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: delivery });
    }
    expect((await login(none.email, PASSWORD)).status).toBe(242);
  });

  it("refuses any other twoFactorDelivery, and writes none of the batch", async () => {
    const fine = exported({ twoFactorEnabled: true, twoFactorDelivery: 0, twoFactorSecret: "SP2m6K2Dg/x2JN9DyQvZ" });
    const wrong = [2, "1", true].map((twoFactorDelivery) => exported({ mobilePhone: "+15555550130", twoFactorEnabled: true, twoFactorDelivery }));
    const response = await importUsers([fine, ...wrong]);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { fieldErrors: Record<string, Array<{ code: string }>> };
    expect(Object.keys(body.fieldErrors).sort()).toEqual(["users.1.twoFactorDelivery", "users.2.twoFactorDelivery", "users.3.twoFactorDelivery"]);
    expect(body.fieldErrors["users.1.twoFactorDelivery"]?.[0]?.code).toBe("[invalid]users.1.twoFactorDelivery");
    expect((await call("GET", `/api/user?email=${encodeURIComponent(fine.email)}`)).status).toBe(404);
  });

  it("limits the batch size and points at the chunking script", async () => {
    const users = Array.from({ length: 101 }, () => exported());
    const response = await importUsers(users);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain("[tooMany]users");
  });

  it("requires an API key", async () => {
    expect((await call("POST", "/api/user/import", { apiKey: null, body: { users: [exported()] } })).status).toBe(401);
  });
});
