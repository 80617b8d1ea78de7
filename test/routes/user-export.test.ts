// The export (`GET /api/system/export`): every user as a FusionAuth Import API
// entry, a page at a time, under an export key only; each user exported emits `user.export`; the
// output imports back (the recovery-code schemes and the TextMessage mark included). The round trip
// into a fresh instance with another ENCRYPTION_KEY is test/e2e/export.test.ts.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { decrypt, encrypt } from "../../src/crypto/keyring";
import { encodeBase64 } from "../../src/domain/encoding";
import type { EventMessage } from "../../src/domain/events";
import { secretContext } from "../../src/domain/user";
import type { ImportUser } from "../../src/domain/user-export";
import {
  call,
  codeFor,
  createTextMessageUser,
  createTwoFactorUser,
  createTwoFactorUserWithoutCode,
  createUser,
  jsonBody,
  login,
  startTwoFactorLogin,
  twoFactorLogin,
  uniqueEmail,
  recordEvents,
} from "../helpers";
import { editAccount, readAccount, replaceStoredState, userGuardOf } from "../storage";

const EXPORT_KEY = "test-export-key";

type Page = { users: ImportUser[]; nextCursor: string | null };

const exportPage = (query = "", apiKey: string | null = EXPORT_KEY) => call("GET", `/api/system/export${query}`, { apiKey });

/** Every page from the first, following nextCursor. */
async function exportAll(limit = 500): Promise<ImportUser[]> {
  const users: ImportUser[] = [];
  let cursor: string | null = null;
  do {
    const response = await exportPage(`?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(response.status).toBe(200);
    const page = await jsonBody<Page>(response);
    users.push(...page.users);
    cursor = page.nextCursor;
  } while (cursor);
  return users;
}

const exportedUser = async (userId: string) => (await exportAll()).find((user) => user.id === userId);

/** Deletes user `userId` (through the API) and imports `entry` back. */
async function reimport(userId: string, entry: ImportUser): Promise<Response> {
  expect((await call("DELETE", `/api/user/${userId}`)).status).toBe(200);
  return call("POST", "/api/user/import", { body: { users: [entry] } });
}

let sent: EventMessage[] = [];

beforeAll(async () => {
  const body = { webhook: { url: "https://receiver.example/events", eventsEnabled: { "user.export": true } } };
  expect((await call("POST", "/api/webhook", { body })).status).toBe(200);
});

beforeEach(() => {
  sent = recordEvents();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("who may export", () => {
  it("only an export key: no key, an API key or a wrong key get 401, and the export key opens nothing else", async () => {
    expect((await exportPage("", null)).status).toBe(401);
    expect((await exportPage("", "test-api-key")).status).toBe(401);
    expect((await exportPage("", "not-a-key")).status).toBe(401);
    const user = await createUser();
    expect((await call("GET", `/api/user/${user.id}`, { apiKey: EXPORT_KEY })).status).toBe(401);
    expect((await call("POST", "/api/user/import", { apiKey: EXPORT_KEY, body: { users: [] } })).status).toBe(401);
    expect((await exportPage()).status).toBe(200);
  });

  it("nobody while EXPORT_KEYS is unset", async () => {
    const response = await call("GET", "/api/system/export", { apiKey: EXPORT_KEY, vars: { EXPORT_KEYS: "" } });
    expect(response.status).toBe(401);
  });

  it("answers with Cache-Control: no-store", async () => {
    expect((await exportPage()).headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("paging", () => {
  it("lists every user once across pages of the limit asked, then a null cursor", async () => {
    const created = await Promise.all([1, 2, 3, 4, 5].map(() => createUser()));
    const first = await jsonBody<Page>(await exportPage("?limit=2"));
    expect(first.users).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const ids = (await exportAll(2)).map((user) => user.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const user of created) expect(ids).toContain(user.id);
    expect((await jsonBody<Page>(await exportPage("?limit=500"))).nextCursor).toBeNull();
  });

  it("refuses a bad limit or cursor with FusionAuth's field errors", async () => {
    for (const query of ["?limit=0", "?limit=501", "?limit=ten", "?limit=-1", "?cursor="]) {
      const response = await exportPage(query);
      expect(response.status, query).toBe(400);
      expect(Object.keys((await jsonBody(response)).fieldErrors), query).toEqual([query.slice(1, query.indexOf("="))]);
    }
    // KV refuses a cursor it did not give (miniflare's local KV reads any text as a key to start after).
    vi.spyOn(env.KV, "list").mockRejectedValue(new Error("KV GET failed: 400 Bad Request"));
    const garbage = await exportPage("?cursor=not-a-cursor");
    expect(garbage.status).toBe(400);
    expect(Object.keys((await jsonBody(garbage)).fieldErrors)).toEqual(["cursor"]);
  });

  it("stops with [KeyMissing], naming the user, at a secret sealed under a key ENCRYPTION_KEY no longer holds", async () => {
    const user = await createTwoFactorUser();
    const { user: record } = await readAccount(user.id);
    const method = record.twoFactor.methods[0]!;
    const secret = await decrypt(env.ENCRYPTION_KEY, method.method === "authenticator" ? method.secret : "", secretContext(user.id));
    const underRemovedKey = await encrypt(`k0:${encodeBase64(new Uint8Array(32).fill(7))}`, secret, secretContext(user.id));
    await editAccount(user.id, (account) => {
      Object.assign(account.user.twoFactor.methods[0]!, { secret: underRemovedKey });
    });
    const response = await exportPage("?limit=500");
    expect(response.status).toBe(400);
    const { generalErrors } = await jsonBody(response);
    expect(generalErrors[0].code).toBe("[KeyMissing]");
    expect(generalErrors[0].message).toContain(user.id);
    expect((await call("DELETE", `/api/user/${user.id}`)).status).toBe(200); // the rest of the file exports everyone
  });

  it("leaves out a user deleted between the listing and the read", async () => {
    const user = await createUser();
    // The replica stays behind while the object has no account: as if deleted after the listing.
    await replaceStoredState(() => userGuardOf(user.id), {});
    const ids = (await exportAll()).map((each) => each.id);
    expect(ids).not.toContain(user.id);
  });
});

describe("what a user exports as", () => {
  it("an Import API entry: the PBKDF2 hash, salt and factor, the profile, each method with its secret, recovery codes as sealed hashes opened", async () => {
    const user = await createTwoFactorUserWithoutCode({ firstName: "Ada", data: { team: "ops" } });
    const codes = (await jsonBody(await call("POST", `/api/user/two-factor/recovery-code/${user.id}`))).recoveryCodes as string[];
    const stored = await readAccount(user.id);
    const entry = (await exportedUser(user.id))!;
    expect(entry).toMatchObject({
      id: user.id,
      tenantId: stored.user.tenantId,
      email: user.email,
      firstName: "Ada",
      data: { team: "ops" },
      password: stored.user.password.hash,
      salt: stored.user.password.salt,
      factor: stored.user.password.factor,
      encryptionScheme: "salted-pbkdf2-hmac-sha256",
      twoFactor: {
        methods: [{ method: "authenticator", secret: user.secret }],
        recoveryCodeEncryptionScheme: "recovery-code-sha256",
        recoveryCodeWorkFactor: 1,
      },
    });
    const sha256 = async (text: string) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))));
    expect(entry.twoFactor!.recoveryCodes).toEqual(await Promise.all(codes.map((code) => sha256(`${user.id}:${code.replace("-", "")}`))));
  });

  it("emits one user.export per user exported, carrying the public user and nothing secret", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await exportAll();
    const events = sent.map((message) => message.event).filter((event) => event.userId === user.id);
    expect(events.map((event) => [event.type, event.info])).toEqual([["user.export", {}]]);
    expect(events[0]!.user).toMatchObject({ id: user.id, email: user.email });
    expect(JSON.stringify(events)).not.toContain(user.secret);
    expect(JSON.stringify(events)).not.toMatch(/"(password|salt|secret|recoveryCodes)":/);
  });
});

describe("importing an export back", () => {
  it("keeps the password, the authenticator and the sealed recovery codes (each once)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const [code] = (await jsonBody(await call("POST", `/api/user/two-factor/recovery-code/${user.id}`))).recoveryCodes as string[];
    const entry = (await exportedUser(user.id))!;
    expect((await reimport(user.id, entry)).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: await codeFor(user.secret) })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code })).status).toBe(421);
  });

  it("keeps codes stored as HMACs before under their own scheme, which import as they were", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await call("POST", `/api/user/two-factor/recovery-code/${user.id}`);
    const key = await crypto.subtle.importKey("raw", new Uint8Array(32), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const legacy = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", key, new Uint8Array(1)))));
    const entry = legacy.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    await editAccount(user.id, (account) => {
      account.guard.recoveryCodes = [entry];
    });
    const exported = (await exportedUser(user.id))!;
    expect(exported.twoFactor).toMatchObject({ recoveryCodes: [legacy], recoveryCodeEncryptionScheme: "recovery-code-hmac-sha256", recoveryCodeWorkFactor: 1 });
    expect((await reimport(user.id, exported)).status).toBe(200);
    expect((await readAccount(user.id)).guard.recoveryCodes).toEqual([entry]);
  });

  it("keeps a legacy TextMessage enrolment, marked in data (which FusionAuth keeps as it is) and taken out on the way in", async () => {
    const user = await createTextMessageUser("+12025550123");
    const entry = (await exportedUser(user.id))!;
    expect(entry.data).toEqual({ legacyTwoFactor: { textedMethod: 0 } });
    expect(entry.twoFactor!.methods).toEqual([{ method: "authenticator", secret: user.secret }]);
    expect((await reimport(user.id, entry)).status).toBe(200);
    const account = await readAccount(user.id);
    expect(account.user.data).toBeUndefined();
    expect(account.user.twoFactor.methods).toEqual([expect.objectContaining({ method: "authenticator", texted: true })]);
    expect((await jsonBody(await call("GET", `/api/user/${user.id}`))).user.twoFactorDelivery).toBe("TextMessage");
  });

  it("refuses an unknown recovery-code scheme, a wrong work factor, hashes of the wrong size and a mark on no authenticator, importing nothing", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const entry = (await exportedUser(user.id))!;
    const base = { ...entry, id: undefined, email: uniqueEmail("export") };
    const hash = btoa("x".repeat(32));
    const users = [
      { ...base, twoFactor: { ...base.twoFactor, recoveryCodes: [hash], recoveryCodeEncryptionScheme: "bcrypt" } },
      {
        ...base,
        email: uniqueEmail(),
        twoFactor: { ...base.twoFactor, recoveryCodes: [hash], recoveryCodeEncryptionScheme: "recovery-code-sha256", recoveryCodeWorkFactor: 10 },
      },
      { ...base, email: uniqueEmail(), twoFactor: { ...base.twoFactor, recoveryCodes: ["c2hvcnQ="], recoveryCodeEncryptionScheme: "recovery-code-sha256" } },
      { ...base, email: uniqueEmail(), data: { legacyTwoFactor: { textedMethod: 3 } } },
    ];
    const response = await call("POST", "/api/user/import", { body: { users } });
    expect(response.status).toBe(400);
    expect(Object.keys((await jsonBody(response)).fieldErrors).sort()).toEqual([
      "users.0.twoFactor.recoveryCodeEncryptionScheme",
      "users.1.twoFactor.recoveryCodeWorkFactor",
      "users.2.twoFactor.recoveryCodes",
      "users.3.data.legacyTwoFactor",
    ]);
    for (const each of users) expect((await login(each.email, "whatever-password")).status).toBe(404);
  });
});
