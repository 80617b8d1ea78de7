// Login records (FusionAuth's Login Record API shape): one per successful login, password only or
// with a completed second factor, kept in the user's object with a bounded size and retention.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LoginRecords } from "../../src/objects/user/login-records";
import { call, codeFor, createTwoFactorUserWithoutCode, createUser, jsonBody, login, startTwoFactorLogin, twoFactorLogin, wrongCode } from "../helpers";
import { userGuardOf, objectKeys, storedGuard } from "../storage";

const APP = "3c219e58-ed0e-4b18-ad48-f4f92793ae32";
const OTHER_APP = "c50329fa-93e5-4618-8d9f-73d0ab069a23";

type Login = { userId: string; applicationId?: string; instant: number; ipAddress?: string; loginId?: string; metaData?: unknown };

async function search(query: string): Promise<{ logins: Login[]; total: number }> {
  const response = await call("GET", `/api/system/login-record/search?${query}`);
  expect(response.status).toBe(200);
  return jsonBody(response);
}

describe("GET /api/system/login-record/search", () => {
  it("records a password-only login with its application, IP address, login id and metaData", async () => {
    const user = await createUser();
    const before = Date.now();
    const extra = { applicationId: APP, ipAddress: "198.51.100.7", metaData: { device: { name: "Jane's laptop" } } };
    expect((await login(user.email.toUpperCase(), user.password, extra)).status).toBe(200);
    const { logins, total } = await search(`userId=${user.id}`);
    expect(total).toBe(1);
    expect(logins).toEqual([
      {
        userId: user.id,
        applicationId: APP,
        instant: expect.any(Number),
        ipAddress: "198.51.100.7",
        loginId: user.email.toUpperCase(),
        metaData: extra.metaData,
      },
    ]);
    expect(logins[0]!.instant).toBeGreaterThanOrEqual(before);
  });

  it("records a two-factor login once it completes, with the password step's details, and nothing for failures", async () => {
    const user = await createTwoFactorUserWithoutCode();
    expect((await login(user.email, "wrong password")).status).toBe(404);
    const started = await login(user.email, user.password, { applicationId: APP, ipAddress: "203.0.113.9" });
    const { twoFactorId } = (await jsonBody(started)) as { twoFactorId: string };
    expect((await search(`userId=${user.id}`)).total).toBe(0);
    expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status).toBe(421);
    expect((await search(`userId=${user.id}`)).total).toBe(0);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    expect((await search(`userId=${user.id}`)).logins).toEqual([
      { userId: user.id, applicationId: APP, instant: expect.any(Number), ipAddress: "203.0.113.9", loginId: user.email },
    ]);
  });

  it("filters by application and time and pages newest first, with the total", async () => {
    const user = await createUser();
    for (const applicationId of [APP, OTHER_APP, APP, APP]) expect((await login(user.email, user.password, { applicationId })).status).toBe(200);
    const all = await search(`userId=${user.id}`);
    expect(all.total).toBe(4);
    const instants = all.logins.map((record) => record.instant);
    expect(instants).toEqual([...instants].sort((a, b) => b - a));
    expect((await search(`userId=${user.id}&applicationId=${OTHER_APP}`)).total).toBe(1);
    const page = await search(`userId=${user.id}&applicationId=${APP}&startRow=1&numberOfResults=1`);
    expect(page.total).toBe(3);
    expect(page.logins).toHaveLength(1);
    expect((await search(`userId=${user.id}&start=${Date.now() + 60_000}`)).total).toBe(0);
    expect((await search(`userId=${user.id}&end=${instants.at(-1)! - 1}`)).total).toBe(0);
  });

  it("refuses a search without a valid userId or with a bad page, and answers 404 for an unknown user", async () => {
    const user = await createUser();
    for (const query of [
      "",
      "userId=nope",
      `userId=${user.id}&numberOfResults=0`,
      `userId=${user.id}&numberOfResults=501`,
      `userId=${user.id}&start=yesterday`,
    ]) {
      const response = await call("GET", `/api/system/login-record/search?${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toHaveProperty("fieldErrors");
    }
    expect((await call("GET", `/api/system/login-record/search?userId=${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call("GET", `/api/system/login-record/search?userId=${user.id}`, { apiKey: null })).status).toBe(401);
  });

  it("forgets a deleted user's records", async () => {
    const user = await createUser();
    expect((await login(user.email, user.password)).status).toBe(200);
    expect((await call("DELETE", `/api/user/${user.id}`)).status).toBe(200);
    const again = await call("POST", `/api/user/${user.id}`, { body: { user: { email: user.email, password: user.password } } });
    expect(again.status).toBe(200);
    expect((await search(`userId=${user.id}`)).total).toBe(0);
    expect((await login(user.email, user.password)).status).toBe(200);
    expect((await search(`userId=${user.id}`)).total).toBe(1);
  });

  it("records nothing for a pending login that never completes", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await startTwoFactorLogin(user);
    expect((await search(`userId=${user.id}`)).total).toBe(0);
  });
});

describe("LoginRecords storage", () => {
  // Tables other than the runtime's own (_cf_KV, _cf_METADATA).
  const ownTables = (sql: SqlStorage) =>
    sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").toArray();

  it("keeps records as entries of the object's key-value storage, indexed in the guard state, with no SQL table of its own", async () => {
    const user = await createUser();
    for (let i = 0; i < 2; i++) expect((await login(user.email, user.password)).status).toBe(200);
    await runInDurableObject(userGuardOf(user.id), (_instance, state) => {
      expect(ownTables(state.storage.sql)).toEqual([]);
      const keys = Array.from(state.storage.kv.list(), ([key]) => key);
      expect(keys.sort()).toEqual(
        [
          objectKeys.guard,
          `${objectKeys.loginRecordPrefix}000000000000`,
          `${objectKeys.loginRecordPrefix}000000000001`,
          objectKeys.user,
          objectKeys.version,
        ].sort(),
      );
      expect(storedGuard(state)?.guard.loginRecords).toMatchObject({ first: 0, next: 2 });
    });
  });
});

describe("LoginRecords limits", () => {
  it("keeps at most maxPerUser records and none older than the retention", async () => {
    const user = await createUser();
    await runInDurableObject(userGuardOf(user.id), (_instance, state) => {
      const records = new LoginRecords(state.storage, { maxPerUser: 3, retentionDays: 1 });
      const day = 86_400_000;
      const now = 10 * day;
      let index = records.add({ instant: now, loginId: "login-0" });
      for (let i = 1; i < 5; i++) index = records.add({ instant: now + i, loginId: `login-${i}` }, index);
      expect(index).toEqual({ first: 2, next: 5, oldest: now + 2 });
      const page = { startRow: 0, numberOfResults: 25 };
      expect(records.search(page, now + 5)).toEqual({
        logins: ["login-4", "login-3", "login-2"].map((loginId, i) => ({ instant: now + 4 - i, loginId })),
        total: 3,
      });
      // A day later one more login: the old ones fall out of the retention when it is recorded.
      expect(records.add({ instant: now + day + 10, loginId: "later" }, index)).toEqual({ first: 5, next: 6, oldest: now + day + 10 });
      expect(records.search(page, now + day + 10).logins.map((record) => record.loginId)).toEqual(["later"]);
      expect(Array.from(state.storage.kv.list({ prefix: objectKeys.loginRecordPrefix }))).toHaveLength(1);
    });
  });

  it("keeps two logins of the same millisecond, the later one first", async () => {
    const user = await createUser();
    await runInDurableObject(userGuardOf(user.id), (_instance, state) => {
      const records = new LoginRecords(state.storage, { maxPerUser: 10, retentionDays: 1 });
      const now = 86_400_000;
      let index = records.add({ instant: now, loginId: "first" });
      index = records.add({ instant: now, loginId: "second" }, index);
      records.add({ instant: now - 1, loginId: "earlier" }, index);
      expect(records.search({ startRow: 0, numberOfResults: 25 }, now).logins.map((record) => record.loginId)).toEqual(["second", "first", "earlier"]);
    });
  });
});
