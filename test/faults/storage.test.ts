// KV failures (SPEC §2: "500 never leaks a stack trace; it is logged with a request id"). The Worker's
// `env.KV` is the very object `env` from cloudflare:workers holds in this pool, so `vi.spyOn` on it
// reaches the Worker. A failed read is an empty 500 with X-Request-Id and one log line with that id;
// a failed write leaves a state a retry can recover from: nothing claimed that no record backs.
import { env } from "cloudflare:workers";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import {
  call,
  captureConsole,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  deleteChallengeAlarms,
  emptyResponse,
  login,
  newSecret,
  readGuardState,
  startTwoFactorLogin,
  twoFactorLogin,
  uniqueEmail,
} from "../helpers";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PASSWORD = "correct horse battery";

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await deleteChallengeAlarms();
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
    const guard = await readGuardState(user.id);
    expect(guard.lastAcceptedStep).toBe(-1);
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
  });
});

describe("a KV write failure", () => {
  it("while creating a user answers 500, and the same id and email can be created once KV is back", async () => {
    const id = crypto.randomUUID();
    const email = uniqueEmail("kv-put");
    const logs = captureConsole();
    failKv("put");
    await internalError(await call("POST", `/api/user/${id}`, { body: { user: { email, password: PASSWORD } } }), logs);
    vi.restoreAllMocks();
    expect((await call("GET", `/api/user/${id}`)).status).toBe(404);
    const retry = await call("POST", `/api/user/${id}`, { body: { user: { email, password: PASSWORD } } });
    expect(retry.status, await retry.clone().text()).toBe(200);
  });

  it("while writing the email index, with KV deletes failing too, answers 500 and still frees the id and the email", async () => {
    const id = crypto.randomUUID();
    const email = uniqueEmail("kv-index");
    const logs = captureConsole();
    const realPut = env.KV.put.bind(env.KV);
    vi.spyOn(env.KV, "put").mockImplementation((key, ...rest) => (key.startsWith("v1:email:") ? Promise.reject(new Error("injected KV failure")) : realPut(key, ...rest)));
    vi.spyOn(env.KV, "delete").mockRejectedValue(new Error("injected KV failure"));
    await internalError(await call("POST", `/api/user/${id}`, { body: { user: { email, password: PASSWORD } } }), logs);
    vi.restoreAllMocks();
    const retry = await call("POST", `/api/user/${id}`, { body: { user: { email, password: PASSWORD } } });
    expect(retry.status, await retry.clone().text()).toBe(200);
  });

  it("while a PATCH changes the email answers 500, leaves the user as it was and the new email free", async () => {
    const user = await createUser();
    const before = await (await call("GET", `/api/user/${user.id}`)).text();
    const email = uniqueEmail("kv-put-patch");
    const logs = captureConsole();
    failKv("put");
    await internalError(await call("PATCH", `/api/user/${user.id}`, { body: { user: { email } } }), logs);
    vi.restoreAllMocks();
    expect(await (await call("GET", `/api/user/${user.id}`)).text()).toBe(before);
    const other = await call("POST", "/api/user", { body: { user: { email, password: PASSWORD } } });
    expect(other.status, `the failed PATCH still holds ${email}: ${await other.clone().text()}`).toBe(200);
  });

  it("while enabling 2FA answers 500, and the user, the guard and login all agree afterwards", async () => {
    const user = await createUser();
    const secret = await newSecret();
    const logs = captureConsole();
    failKv("put");
    const response = await call("POST", `/api/user/two-factor/${user.id}`, { body: { code: await codeFor(secret), secret, delivery: "None" } });
    await internalError(response, logs);
    vi.restoreAllMocks();
    const enabled = (await readGuardState(user.id)).twoFactor as { enabled: boolean; secret?: string };
    const shown = ((await (await call("GET", `/api/user/${user.id}`)).json()) as { user: { twoFactorEnabled: boolean } }).user;
    expect(shown.twoFactorEnabled).toBe(enabled.enabled);
    if (enabled.enabled) expect(enabled.secret).toBeTruthy();
    expect((await login(user.email, user.password)).status).toBe(enabled.enabled ? 242 : 200);
  });

  it("while disabling 2FA answers 500, and the user, the guard and login all agree afterwards", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const logs = captureConsole();
    failKv("put");
    await internalError(await call("DELETE", `/api/user/two-factor/${user.id}?code=${await codeFor(user.secret)}`), logs);
    vi.restoreAllMocks();
    const enabled = ((await readGuardState(user.id)).twoFactor as { enabled: boolean }).enabled;
    const shown = ((await (await call("GET", `/api/user/${user.id}`)).json()) as { user: { twoFactorEnabled: boolean } }).user;
    expect(shown.twoFactorEnabled).toBe(enabled);
    expect((await login(user.email, user.password)).status).toBe(enabled ? 242 : 200);
  });
});
