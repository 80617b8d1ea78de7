// KV failures. The Worker's `env.KV` is the very object `env` from cloudflare:workers holds in this
// pool, so `vi.spyOn` on it reaches the Worker and its Durable Objects. A failed read is an empty 500
// with X-Request-Id and one log line with that id (no stack trace). KV is only a replica: a failed
// write does not undo or fail a change the user's object committed; the replica catches up from the
// object's alarm, and login decisions never waited for it.
import { listDurableObjectIds, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  call,
  captureConsole,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  emptyResponse,
  login,
  newSecret,
  startTwoFactorLogin,
  twoFactorLogin,
  uniqueEmail,
} from "../helpers";
import { readAccount } from "../storage";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PASSWORD = "correct horse battery";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Checks the bare 500 and its one log line; returns the request id. */
async function internalError(response: Response, logs: string[]): Promise<string> {
  expect(await emptyResponse(response)).toEqual({ status: 500, contentType: null, body: "" });
  const requestId = response.headers.get("X-Request-Id");
  expect(requestId).toMatch(UUID);
  const lines = logs.filter((line) => line.includes(requestId!));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("injected KV failure");
  expect(lines[0]).not.toMatch(/\n\s+at /);
  return requestId!;
}

const failKv = (method: "get" | "put") => vi.spyOn(env.KV, method).mockRejectedValue(new Error("injected KV failure"));

describe("a KV read failure", () => {
  it("is the object the Worker uses, so a spy on it sees the Worker's reads", async () => {
    const user = await createUser();
    const get = vi.spyOn(env.KV, "get");
    expect((await call("GET", `/api/user/${user.id}`)).status).toBe(200);
    expect(get).toHaveBeenCalled();
  });

  it("answers an empty 500 with an X-Request-Id and logs one line with that id and no stack trace", async () => {
    const user = await createUser();
    const logs = captureConsole();
    failKv("get");
    await internalError(await call("GET", `/api/user/${user.id}`), logs);
  });

  it("gives every failed request its own id", async () => {
    const logs = captureConsole();
    failKv("get");
    const first = await internalError(await call("GET", `/api/user?email=${encodeURIComponent(uniqueEmail())}`), logs);
    const second = await internalError(await login(uniqueEmail(), PASSWORD), logs);
    expect(second).not.toBe(first);
  });

  it("during a login answers 500 and creates no challenge, and the next login works", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const logs = captureConsole();
    failKv("get");
    await internalError(await login(user.email, user.password), logs);
    vi.restoreAllMocks();
    const { guard } = await readAccount(user.id);
    expect(guard.lastAcceptedStep).toBe(-1);
    expect(guard.challenges).toEqual({});
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
  });
});

/** Runs every pending alarm (user objects and login-id claims), as the runtime would once KV is back. */
async function runAlarms(): Promise<void> {
  for (const namespace of [env.USER_GUARD, env.IDENTIFIER_CLAIM] as unknown as DurableObjectNamespace[]) {
    for (const id of await listDurableObjectIds(namespace)) await runDurableObjectAlarm(namespace.get(id));
  }
}

const shownUser = async (userId: string) => {
  const response = await call("GET", `/api/user/${userId}`);
  return response.status === 200 ? ((await response.json()) as { user: { email: string; twoFactorEnabled: boolean } }).user : null;
};

describe("a KV write failure", () => {
  it("while creating a user: the user exists and logs in once the replica and index catch up", async () => {
    const id = crypto.randomUUID();
    const email = uniqueEmail("kv-put");
    const logs = captureConsole();
    failKv("put");
    expect((await call("POST", `/api/user/${id}`, { body: { user: { email, password: PASSWORD } } })).status).toBe(200);
    vi.restoreAllMocks();
    expect(logs.join("\n")).toContain("replica.failed");
    expect(await shownUser(id)).toBeNull();
    await runAlarms();
    expect((await shownUser(id))?.email).toBe(email);
    expect((await login(email, PASSWORD)).status).toBe(200);
    expect((await call("POST", "/api/user", { body: { user: { email, password: PASSWORD } } })).status).toBe(400);
  });

  it("while a PATCH changes the email: the change stands, the old email is free and the new one taken", async () => {
    const user = await createUser();
    const email = uniqueEmail("kv-put-patch");
    captureConsole();
    failKv("put");
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { email } } })).status).toBe(200);
    vi.restoreAllMocks();
    await runAlarms();
    expect((await shownUser(user.id))?.email).toBe(email);
    expect((await login(email, user.password)).status).toBe(200);
    expect((await call("POST", "/api/user", { body: { user: { email, password: PASSWORD } } })).status).toBe(400);
    expect((await call("POST", "/api/user", { body: { user: { email: user.email, password: PASSWORD } } })).status).toBe(200);
  });

  it("while enabling 2FA: login asks for the code at once, and the replica follows", async () => {
    const user = await createUser();
    const secret = await newSecret();
    captureConsole();
    failKv("put");
    expect((await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery: "None" } })).status).toBe(200);
    vi.restoreAllMocks();
    expect((await shownUser(user.id))?.twoFactorEnabled).toBe(false);
    expect((await login(user.email, user.password)).status).toBe(242);
    await runAlarms();
    expect((await shownUser(user.id))?.twoFactorEnabled).toBe(true);
  });

  it("while disabling 2FA: login stops asking for a code at once, and the replica follows", async () => {
    const user = await createTwoFactorUserWithoutCode();
    captureConsole();
    failKv("put");
    expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret)}`)).status).toBe(200);
    vi.restoreAllMocks();
    expect((await login(user.email, user.password)).status).toBe(200);
    await runAlarms();
    expect((await shownUser(user.id))?.twoFactorEnabled).toBe(false);
  });
});
