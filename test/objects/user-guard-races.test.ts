// The user's object owns the account: pending logins stop the moment access changes, concurrent
// changes to one user never undo each other, a delete racing anything leaves nothing behind, and no
// login decision reads the KV replica.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "../../src/domain/encoding";
import {
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  jsonBody,
  login,
  newSecret,
  startTwoFactorLogin,
  STEP_MS,
  twoFactorLogin,
  uniqueEmail,
} from "../helpers";
import { readAccount, kvKeys } from "../storage";
import { sendDuringLogin } from "../twilio-fake";

const EMPTY = { contentType: null, body: "" };

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});
const replicaKey = kvKeys.user;

describe("a pending login", () => {
  const changes = {
    "the user is deactivated": { user: { active: false } },
    "the password changes": { user: { password: "a brand new password" } },
  };
  for (const [what, patch] of Object.entries(changes)) {
    it(`stops at once when ${what}: a valid code then gets 404`, async () => {
      const user = await createTwoFactorUserWithoutCode();
      const twoFactorId = await startTwoFactorLogin(user);
      expect((await call("PATCH", `/api/user/${user.id}`, { body: patch })).status).toBe(200);
      expect(await emptyResponse(await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) }))).toEqual({ status: 404, ...EMPTY });
      expect((await readAccount(user.id)).guard.lastAcceptedStep).toBe(-1);
    });
  }

  it("of a user who expired meanwhile gets 410, and the code is not used up", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { expiry: Date.now() + 50 } } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) }))).toEqual({ status: 410, ...EMPTY });
    expect(await emptyResponse(await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) }))).toEqual({ status: 404, ...EMPTY });
  });

  it("survives a profile change that touches neither access nor 2FA", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { firstName: "Ada" } } })).status).toBe(200);
    const done = await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) });
    expect(done.status).toBe(200);
    expect((await jsonBody(done)).user.firstName).toBe("Ada");
  });

  it("refuses a forged or altered twoFactorId with 404 and touches no state", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const before = await readAccount(user.id);
    const flip = (index: number) => twoFactorId.slice(0, index) + (twoFactorId[index] === "A" ? "B" : "A") + twoFactorId.slice(index + 1);
    for (const forged of [flip(0), flip(20), flip(30), flip(41), "A".repeat(43)]) {
      expect(await emptyResponse(await twoFactorLogin({ twoFactorId: forged, code: await codeFor(user.secret) }))).toEqual({ status: 404, ...EMPTY });
    }
    expect((await readAccount(user.id)).version).toBe(before.version);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
  });

  it("refuses 200 random twoFactorIds and every one-byte change of a real one before any object is called", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const real = decodeBase64Url(await startTwoFactorLogin(user))!;
    const altered = Array.from(real, (_, position) => encodeBase64Url(real.map((byte, index) => (index === position ? byte ^ 0x01 : byte))));
    const random = Array.from({ length: 200 }, () => encodeBase64Url(crypto.getRandomValues(new Uint8Array(32))));
    const objects = vi.spyOn(env.USER_GUARD, "get");
    for (const forged of [...altered, ...random]) {
      expect(await emptyResponse(await twoFactorLogin({ twoFactorId: forged, code: "123456" }))).toEqual({ status: 404, ...EMPTY });
      expect(objects, "Durable Object stubs made").not.toHaveBeenCalled();
    }
    for (const forged of random.slice(0, 20)) expect((await sendDuringLogin(forged)).status).toBe(404);
    expect(objects, "Durable Object stubs made").not.toHaveBeenCalled();
  });
});

describe("a trust id", () => {
  it("stops skipping 2FA when the password changes", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const started = await startTwoFactorLogin(user);
    const done = await jsonBody(await twoFactorLogin({ twoFactorId: started, code: await codeFor(user.secret), trustComputer: true }));
    expect((await login(user.email, user.password, { twoFactorTrustId: done.twoFactorTrustId })).status).toBe(200);
    const password = "another good password";
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { password } } })).status).toBe(200);
    expect((await login(user.email, password, { twoFactorTrustId: done.twoFactorTrustId })).status).toBe(242);
  });
});

describe("an enable racing a password change", () => {
  it("never reverts the password (200 trials: 20 users, 10 rounds)", { timeout: 60_000 }, async () => {
    // Few users, many rounds: this pool slows down with every object a file creates.
    const users = await Promise.all(Array.from({ length: 20 }, () => createUser()));
    const failures: string[] = [];
    // Each round in its own 30 s step, so the replay guard does not refuse the enable codes.
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    for (let round = 0; round < 10; round++) {
      vi.setSystemTime(start + round * STEP_MS);
      await Promise.all(
        users.map(async (user, index) => {
          const secret = await newSecret();
          const password = `password of round ${round} for ${index}`;
          const [patched, enabled] = await Promise.all([
            call("PATCH", `/api/user/${user.id}`, { body: { user: { password } } }),
            call("PUT", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret } }),
          ]);
          const trial = `round ${round}, user ${index}`;
          if (patched.status !== 200 || enabled.status !== 200) failures.push(`${trial}: ${patched.status}, ${enabled.status}`);
          if ((await login(user.email, user.password)).status !== 404) failures.push(`${trial}: the old password still works`);
          if ((await login(user.email, password)).status !== 242) failures.push(`${trial}: the new password or 2FA was lost`);
          user.password = password;
          await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: false } } });
        }),
      );
    }
    expect(failures).toEqual([]);
  });

  it("keeps both of two concurrent profile changes", async () => {
    for (let trial = 0; trial < 20; trial++) {
      const user = await createUser();
      await Promise.all([
        call("PATCH", `/api/user/${user.id}`, { body: { user: { firstName: "Grace" } } }),
        call("PATCH", `/api/user/${user.id}`, { body: { user: { lastName: "Hopper" } } }),
      ]);
      expect((await jsonBody(await call("GET", `/api/user/${user.id}`))).user).toMatchObject({ firstName: "Grace", lastName: "Hopper" });
    }
  });
});

describe("a delete racing an update", () => {
  it("never answers 500 and leaves nothing behind (40 users)", { timeout: 60_000 }, async () => {
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        const user = await createUser();
        const email = uniqueEmail(`race-${index}`);
        const responses = await Promise.all([
          call("PATCH", `/api/user/${user.id}`, { body: { user: { email } } }),
          call("DELETE", `/api/user/${user.id}`),
          call("PUT", `/api/user/${user.id}`, { body: { user: { email: user.email, firstName: "Late" } } }),
        ]);
        statuses.push(...responses.map((response) => response.status));
        expect(await env.KV.get(replicaKey(user.id))).toBeNull();
        expect((await call("GET", `/api/user/${user.id}`)).status).toBe(404);
        // Both emails are free again: the index and the claims went with the user.
        for (const free of [email, user.email]) {
          expect((await call("GET", `/api/user?email=${encodeURIComponent(free)}`)).status).toBe(404);
          expect((await call("POST", "/api/user", { body: { user: { email: free, password: "correct horse battery" } } })).status).toBe(200);
        }
      }),
    );
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.every((status) => status === 200 || status === 404)).toBe(true);
  });

  it("refuses a JWT issued before the user was deleted and re-created with the same id, at once", async () => {
    const user = await createUser();
    const token = (await jsonBody(await login(user.email, user.password))).token as string;
    const auth = { Authorization: `Bearer ${token}` };
    expect((await call("GET", "/api/user", { apiKey: null, headers: auth })).status).toBe(200);
    expect((await call("DELETE", `/api/user/${user.id}`)).status).toBe(200);
    expect((await call("POST", `/api/user/${user.id}`, { body: { user: { email: uniqueEmail(), password: "correct horse battery" } } })).status).toBe(200);
    const secret = await newSecret();
    for (const [method, path, body] of [
      ["GET", "/api/user"],
      ["GET", "/api/two-factor/secret"],
      ["PUT", "/api/user/two-factor", { code: await codeFor(secret), secret }],
    ] as const) {
      expect(await emptyResponse(await call(method, path, { apiKey: null, headers: auth, body })), `${method} ${path}`).toEqual({ status: 401, ...EMPTY });
    }
  });
});

describe("a stale KV replica", () => {
  it("decides nothing at login: no record, or an old one, changes no answer", async () => {
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "+15005550006" });
    const stale = await env.KV.get(replicaKey(user.id));
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { expiry: Date.now() - 1_000 } } })).status).toBe(200);
    await env.KV.put(replicaKey(user.id), stale!);
    expect((await login(user.email, user.password)).status).toBe(410);
    await env.KV.delete(replicaKey(user.id));
    expect((await login(user.email, user.password)).status).toBe(410);
  });
});
