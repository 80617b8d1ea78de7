// Property tests for the Import API (all or nothing) and the Integrations API: hostile bodies never
// cause a 500, answers keep FusionAuth's contract, a refused import writes no user and claims no
// email, a refused integration change leaves the stored configuration as it was, and the auth token
// never comes back.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { encodeBase64 } from "../../src/domain/encoding";
import { randomBytes } from "../../src/crypto/random";
import { hashPassword } from "../../src/crypto/password";
import {
  badUuid,
  bodies,
  contentType,
  contractProblem,
  countUsers,
  emailOwner,
  hostileShortString,
  lookupable,
  checkNoPrototypePollution,
  runs,
  send,
  shaped,
  userFields,
  type Shape,
} from "./support";
import { kvKeys } from "../storage";

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);
let hash: { salt: string; hash: string };

checkNoPrototypePollution();

beforeAll(async () => {
  hash = await hashPassword("imported password", 1000);
});

/** The `users` of an import body that parses, with the emails we can look up. */
function importedUsers(body: string): { count: number; emails: string[] } | null {
  try {
    const users = (JSON.parse(body) as { users?: unknown } | null)?.users;
    if (!Array.isArray(users)) return null;
    const emails = users
      .map((user) => (user as { email?: unknown } | null)?.email)
      .filter(lookupable)
      .map((email) => email.trim());
    return { count: users.length, emails };
  } catch {
    return null;
  }
}

describe("importing users from hostile bodies", () => {
  it("answers 200 or a FusionAuth 4xx, and a refused import writes no user and claims no email", async () => {
    const importedUser: Shape = {
      ...userFields,
      id: fc.oneof(fc.uuid(), badUuid),
      password: fc.constant(hash.hash),
      salt: fc.constantFrom(hash.salt, encodeBase64(randomBytes(16))),
      factor: fc.constantFrom(1000, 24_000, 100_000),
      encryptionScheme: fc.constant("salted-pbkdf2-hmac-sha256"),
      insertInstant: fc.constant(1_600_000_000_000),
    };
    const shape: Shape = {
      users: fc.array(shaped(importedUser), { minLength: 1, maxLength: 3 }),
      encryptionScheme: fc.constant("salted-pbkdf2-hmac-sha256"),
      factor: fc.constantFrom(1000, 24_000),
      validateDbConstraints: fc.boolean(),
    };
    const imported = new Set<string>();
    await fc.assert(
      fc.asyncProperty(bodies(shape), contentType, async (body, type) => {
        const before = await countUsers();
        const response = await send({ method: "POST", path: "/api/user/import", body, contentType: type });
        expect(await contractProblem({ method: "POST", path: "/api/user/import", success: "empty" }, response)).toBeNull();
        const after = await countUsers();
        const users = importedUsers(body);
        if (response.status === 200) {
          expect(after).toBe(before + users!.count);
          for (const email of users!.emails) imported.add(email.toLowerCase());
          return;
        }
        expect(after, "a refused import wrote users").toBe(before);
        for (const email of users?.emails ?? []) {
          if (!imported.has(email.toLowerCase())) expect(await emailOwner(email), `a refused import kept the claim on ${email}`).toBeUndefined();
        }
      }),
      runs(120),
    );
  }, 60_000);
});

describe("changing the Twilio and email integrations with hostile bodies", () => {
  const twilio: Shape = {
    enabled: fc.boolean(),
    accountSID: hex32.map((hex) => `AC${hex}`),
    authToken: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), hostileShortString),
    fromPhoneNumber: fc.constantFrom("+15005550006", "555-555-0100"),
    messagingServiceSid: hex32.map((hex) => `MG${hex}`),
    url: fc.constantFrom("https://api.twilio.com", "http://twilio.fake", "ftp://twilio.example", "not a url"),
  };
  const email: Shape = {
    enabled: fc.boolean(),
    transport: fc.constantFrom("cloudflare", "smtp", "sendgrid"),
    host: fc.constantFrom("127.0.0.1", "smtp.example.com", "smtp://smtp.example.com", ""),
    port: fc.oneof(fc.integer({ min: -1, max: 70_000 }), fc.constantFrom(25, 465, 587)),
    security: fc.constantFrom("NONE", "SSL", "TLS", "STARTTLS"),
    username: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), hostileShortString),
    password: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), hostileShortString),
    defaultFromEmail: fc.constantFrom("codes@example.com", "not an address"),
    defaultFromName: hostileShortString,
  };

  it("answers the configuration or a FusionAuth 4xx, never returns the auth token or password, and a refused change keeps what was stored", async () => {
    // Nothing in this file may reach a real Twilio, whatever the fuzzer configures.
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("no network in fuzz tests"));
    const stored = () => env.KV.get(kvKeys.integrations);
    const current = async () => (await send({ method: "GET", path: "/api/integration" })).text();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("PUT", "PATCH"), bodies({ integrations: { twilio, email } }), contentType, async (method, body, type) => {
        const [storedBefore, shownBefore] = [await stored(), await current()];
        const response = await send({ method, path: "/api/integration", body, contentType: type });
        const answer = await response.clone().text();
        expect(await contractProblem({ method, path: "/api/integration", success: "json" }, response)).toBeNull();
        if (response.status === 200) {
          expect(answer).not.toContain("authToken");
          expect(JSON.parse(answer).integrations.email).not.toHaveProperty("password");
          expect(await current(), "GET disagrees with the answer to the change").toBe(answer);
          return;
        }
        expect(await stored(), `${method} answered ${response.status} but changed the stored integration`).toBe(storedBefore);
        expect(await current()).toBe(shownBefore);
      }),
      runs(150),
    );
    expect(await current()).not.toContain("authToken");
    expect(JSON.parse(await current()).integrations.email).not.toHaveProperty("password");
  }, 60_000);
});
