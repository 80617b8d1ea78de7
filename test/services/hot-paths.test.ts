// The hot-path budget of issue #11, counted through the real Worker (`app.request`, as every API test
// calls it): per request, the KV reads and writes, the Durable Object stubs made per namespace, the
// RPC calls made on them, the outbound fetches, and the user object's own storage writes.
//
// - `POST /api/login` (FusionAuth Login API, https://fusionauth.io/docs/v1/tech/apis/login): one KV
//   read (login id → user id) and one call to the user's object, for a 200, a 242 and a wrong
//   password alike; an unknown login id costs exactly what a known one's wrong password costs.
// - `POST /api/two-factor/login`: no KV at all, one call to the user's object (the twoFactorId names it).
// - A TextMessage user's login and `POST /api/two-factor/send/{twoFactorId}` add two calls to the
//   phone throttle, one to the shard of the phone's number range (per-phone and per-range counts)
//   and one to the budget object (overall, per-country and per-client counts, exact because they are
//   counted in one place), and one Twilio request, nothing else: the Twilio settings are the copy
//   this isolate read or wrote in the last 5 s (one KV read when it is older).
// - A 1.26+ phone method's login: the 242 texts nothing (1 KV read + 1 call); the login send by
//   `methodId` is one call to the user's object, the two throttle calls and Twilio, no KV; the code
//   step with the code it texted stays one call and no KV.
// - A request with an access token checks it with one call to the user's object (the account's token
//   stamp, not the KV replica) before its own work.
// - The user's object writes its storage once per call, and only when its state changed: a client
//   resending the same wrong code at once (a 421 retry) and a replayed code (RFC 6238 §5.2) write nothing.
//   A successful login writes the guard state with its login record and the records' index, puts made
//   in one synchronous turn, which the runtime commits as one atomic write ("automatic write
//   coalescing", https://developers.cloudflare.com/durable-objects/api/storage-api/).
//
// The Worker and its Durable Objects share this isolate and its `env.KV`, so the KV spies see the
// objects' KV calls too: "no KV writes" below means none from anyone while the request ran.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { numberRange } from "../../src/domain/sms-guard";
import { budgetThrottle, rangeThrottle } from "../../src/objects/phone-throttle";
import {
  accessToken,
  call,
  codeFor,
  createTextMessageUser,
  createTwoFactorUserWithoutCode,
  createUser,
  freezeClock,
  advanceClock,
  login,
  startTwoFactorLogin,
  twoFactorLogin,
  uniqueEmail,
  wrongCode,
} from "../helpers";
import { readAccount, userGuardOf, kvKeys } from "../storage";
import {
  configureTwilio,
  enableSmsMethod,
  FAKE_TWILIO_URL,
  installFakeTwilio,
  lastCodeTo,
  messagesTo,
  sendDuringLogin,
  type FakeTwilioServer,
} from "../twilio-fake";

const BINDINGS = ["USER_GUARD", "IDENTIFIER_CLAIM", "PHONE_THROTTLE"] as const;
type Binding = (typeof BINDINGS)[number];

/** What one request cost. */
type Meter = {
  /** KV keys read (get, getWithMetadata) and lists made. */
  kvReads: string[];
  /** KV keys written (put) and deleted. */
  kvWrites: string[];
  /** Per namespace: the id of every stub made (`namespace.get`). */
  stubs: Record<Binding, string[]>;
  /** Per namespace: every RPC method called on those stubs, in order. */
  rpc: Record<Binding, string[]>;
  /** Every outbound fetch's URL. */
  fetches: string[];
};

/** A stub that records the name of every method called on it, then calls it. */
function countingStub<T extends object>(stub: T, calls: string[]): T {
  return new Proxy(stub, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof property !== "string" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(property);
        return Reflect.apply(value, target, args);
      };
    },
  });
}

const urlOf = (input: RequestInfo | URL) => (typeof input === "string" ? input : input instanceof URL ? input.href : input.url);

/**
 * Runs `request` (which must read its response to the end) with every KV method, Durable Object
 * namespace and outbound fetch counted, and returns what it cost. The spies are removed afterwards,
 * so the helpers that read state (readAccount) are not counted.
 */
async function metered(request: () => Promise<Response>): Promise<{ status: number; body: string; meter: Meter }> {
  const meter: Meter = {
    kvReads: [],
    kvWrites: [],
    stubs: { USER_GUARD: [], IDENTIFIER_CLAIM: [], PHONE_THROTTLE: [] },
    rpc: { USER_GUARD: [], IDENTIFIER_CLAIM: [], PHONE_THROTTLE: [] },
    fetches: [],
  };
  const kv = env.KV as unknown as Record<"get" | "getWithMetadata" | "list" | "put" | "delete", (...args: unknown[]) => unknown>;
  const spies: MockInstance[] = [];
  for (const method of ["get", "getWithMetadata", "list"] as const) {
    const real = kv[method].bind(kv);
    spies.push(
      vi.spyOn(kv, method).mockImplementation((...args: unknown[]) => {
        meter.kvReads.push(method === "list" ? "(list)" : String(args[0]));
        return real(...args);
      }),
    );
  }
  for (const method of ["put", "delete"] as const) {
    const real = kv[method].bind(kv);
    spies.push(
      vi.spyOn(kv, method).mockImplementation((...args: unknown[]) => {
        meter.kvWrites.push(`${method} ${String(args[0])}`);
        return real(...args);
      }),
    );
  }
  for (const binding of BINDINGS) {
    const namespace = env[binding] as unknown as DurableObjectNamespace;
    const realGet = namespace.get.bind(namespace);
    spies.push(
      vi.spyOn(namespace, "get").mockImplementation((id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => {
        meter.stubs[binding].push(id.toString());
        return countingStub(realGet(id, options), meter.rpc[binding]);
      }),
    );
  }
  // installFakeTwilio (beforeEach) made fetch a spy: the calls made from here on are this request's.
  const fetchSpy = vi.mocked(globalThis.fetch);
  const fetchesBefore = fetchSpy.mock.calls.length;
  try {
    const response = await request();
    const body = await response.text();
    meter.fetches = fetchSpy.mock.calls.slice(fetchesBefore).map(([input]) => urlOf(input));
    return { status: response.status, body, meter };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The ids of the phone throttle objects that count a text to `phone` (its range's shard, the budget object), as `stubs` records them. */
const throttlesOf = async (phone: string) => [(await rangeThrottle(env, numberRange(phone))).id.toString(), budgetThrottle(env).id.toString()];

/** The id of user `userId`'s object, as `stubs` records it. */
const userObject = (userId: string) => env.USER_GUARD.idFromName(userId).toString();

/** The KV key of a login id's index entry (login id → user id). */
const indexKey = kvKeys.loginIndex;

const TWILIO_SETTINGS_KEY = kvKeys.integrations;

/** A user's first successful login: its login record, then the guard state (which carries the records' index). */
const SUCCESSFUL_LOGIN_WRITES = ["put login-record:000000000000", "put guard"];

/** What the object of `userId` writes to its storage from now on (put and delete, by key). */
async function watchStorage(userId: string): Promise<string[]> {
  const writes: string[] = [];
  await runInDurableObject(userGuardOf(userId), (_instance, state) => {
    // The object keeps `state` for its life: these spies see its own writes (until restoreAllMocks).
    const storage = state.storage.kv;
    const put = storage.put.bind(storage);
    const remove = storage.delete.bind(storage);
    vi.spyOn(storage, "put").mockImplementation((key: string, value: unknown) => {
      writes.push(`put ${key}`);
      return put(key, value);
    });
    vi.spyOn(storage, "delete").mockImplementation((key: string) => {
      writes.push(`delete ${key}`);
      return remove(key);
    });
  });
  return writes;
}

const version = async (userId: string) => (await readAccount(userId)).version;

/** The one-call budget of a login step that needs neither SMS nor a login id claim. */
function expectOneCallToTheUser(meter: Meter, userId: string, method: string) {
  expect(meter.stubs.USER_GUARD, "USER_GUARD stubs").toEqual([userObject(userId)]);
  expect(meter.rpc.USER_GUARD, "USER_GUARD calls").toEqual([method]);
  expect(meter.stubs.IDENTIFIER_CLAIM, "IDENTIFIER_CLAIM stubs").toEqual([]);
  expect(meter.stubs.PHONE_THROTTLE, "PHONE_THROTTLE stubs").toEqual([]);
  expect(meter.kvWrites, "KV writes").toEqual([]);
  expect(meter.fetches, "outbound fetches").toEqual([]);
}

/** The budget of a login send: one call to the user's object, the two throttle calls for `phone`, one Twilio request, no KV. */
async function expectLoginSendBudget(meter: Meter, userId: string, phone: string) {
  expect(meter.kvReads, "KV reads").toEqual([]);
  expect(meter.kvWrites, "KV writes").toEqual([]);
  expect(meter.rpc.USER_GUARD, "USER_GUARD calls").toEqual(["sendChallengeCode"]);
  // Every stub made is of this user's object (the second, if any, is only for giving a failed text back).
  expect(new Set(meter.stubs.USER_GUARD), "USER_GUARD objects").toEqual(new Set([userObject(userId)]));
  expect(meter.stubs.PHONE_THROTTLE, "PHONE_THROTTLE stubs").toEqual(await throttlesOf(phone));
  expect(meter.rpc.PHONE_THROTTLE, "PHONE_THROTTLE calls").toEqual(["acquire", "spend"]);
  expect(meter.stubs.IDENTIFIER_CLAIM).toEqual([]);
  expect(meter.fetches, "outbound fetches").toHaveLength(1);
  expect(meter.fetches[0]!.startsWith(FAKE_TWILIO_URL)).toBe(true);
}

let fake: FakeTwilioServer;

beforeEach(() => {
  fake = installFakeTwilio();
  freezeClock();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("POST /api/login", () => {
  it("of a user with authenticator 2FA (242): one index read, one call to the user's object, one storage write", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const before = await version(user.id);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() => login(user.email, user.password));

    expect(status).toBe(242);
    expect(meter.kvReads, "KV reads").toEqual([await indexKey(user.email)]);
    expectOneCallToTheUser(meter, user.id, "login");
    // The pending login is the only change: the guard state is written, the record is not.
    expect(writes).toEqual(["put guard"]);
    expect(await version(user.id)).toBe(before + 1);
  });

  it("of a user without 2FA (200): the same one index read and one call", async () => {
    const user = await createUser();
    const before = await version(user.id);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() => login(user.email, user.password));

    expect(status).toBe(200);
    expect(meter.kvReads, "KV reads").toEqual([await indexKey(user.email)]);
    expectOneCallToTheUser(meter, user.id, "login");
    // The last login instant lives in the guard state; the replica follows later, not during the request.
    expect(writes).toEqual(SUCCESSFUL_LOGIN_WRITES);
    expect(await version(user.id)).toBe(before + 1);
  });

  it("of an unknown login id costs what a known user's wrong password costs", async () => {
    const user = await createUser();
    const stranger = uniqueEmail("nobody");

    const wrong = await metered(() => login(user.email, "not the password"));
    const unknown = await metered(() => login(stranger, "not the password"));

    expect([wrong.status, unknown.status]).toEqual([404, 404]);
    expect(wrong.meter.kvReads).toEqual([await indexKey(user.email)]);
    expect(unknown.meter.kvReads).toEqual([await indexKey(stranger)]);
    expectOneCallToTheUser(wrong.meter, user.id, "login");
    // The stranger's object is a decoy shard (not any user's), asked the same one question.
    expect(unknown.meter.stubs.USER_GUARD).toHaveLength(1);
    expect(unknown.meter.stubs.USER_GUARD[0]).not.toBe(userObject(user.id));
    const shape = (meter: Meter) => ({
      kvReads: meter.kvReads.length,
      kvWrites: meter.kvWrites.length,
      stubs: Object.fromEntries(BINDINGS.map((binding) => [binding, meter.stubs[binding].length])),
      rpc: meter.rpc,
      fetches: meter.fetches.length,
    });
    expect(shape(unknown.meter)).toEqual(shape(wrong.meter));
  });
});

describe("POST /api/two-factor/login", () => {
  it("reads no KV and makes one call to the user's object; the completion is one write, with its login record", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const before = await version(user.id);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(async () => twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) }));

    expect(status).toBe(200);
    expect(meter.kvReads, "KV reads").toEqual([]);
    expectOneCallToTheUser(meter, user.id, "completeLogin");
    expect(writes).toEqual(SUCCESSFUL_LOGIN_WRITES);
    expect(await version(user.id)).toBe(before + 1);
  });

  it("changes no schema in a user's first login: the alarm table is made with the account", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const schema = () =>
      runInDurableObject(userGuardOf(user.id), (_instance, state) => state.storage.sql.exec("SELECT name FROM sqlite_master ORDER BY name").toArray());
    const created = await schema();
    expect(created.map((row) => row.name)).toContain("_cf_METADATA");
    await runInDurableObject(userGuardOf(user.id), async (_instance, state) => expect(await state.storage.getAlarm()).toBeNull());
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret) })).status).toBe(200);
    expect(await schema()).toEqual(created);
  });

  it("writes a wrong code once, and nothing when the client resends the same wrong code at once (a 421 retry)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const twoFactorId = await startTwoFactorLogin(user);
    const code = await wrongCode(user.secret);
    const before = await version(user.id);
    const writes = await watchStorage(user.id);

    const first = await metered(() => twoFactorLogin({ twoFactorId, code }));
    expect(first.status).toBe(421);
    expectOneCallToTheUser(first.meter, user.id, "completeLogin");
    expect(writes).toEqual(["put guard"]);
    expect(await version(user.id)).toBe(before + 1);

    const retry = await metered(() => twoFactorLogin({ twoFactorId, code }));
    expect(retry.status).toBe(421);
    expect(retry.meter.kvReads).toEqual([]);
    expectOneCallToTheUser(retry.meter, user.id, "completeLogin");
    expect(writes).toEqual(["put guard"]);
    expect(await version(user.id)).toBe(before + 1);
    // It was counted once: the pending login has four attempts left, the lockout four codes away.
    const account = await readAccount(user.id);
    expect(account.guard.consecutiveCodeFailures).toBe(1);
  });

  it("writes nothing for a replayed code (RFC 6238 §5.2: a code is accepted once)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const code = await codeFor(user.secret);
    const done = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
    expect(done.status).toBe(200);
    const twoFactorId = await startTwoFactorLogin(user);
    const before = await version(user.id);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() => twoFactorLogin({ twoFactorId, code }));

    expect(status).toBe(421);
    expect(meter.kvReads).toEqual([]);
    expectOneCallToTheUser(meter, user.id, "completeLogin");
    expect(writes).toEqual([]);
    expect(await version(user.id)).toBe(before);
    // The watch does see the object's writes: a wrong code next is one.
    expect((await twoFactorLogin({ twoFactorId, code: await wrongCode(user.secret) })).status).toBe(421);
    expect(writes).toEqual(["put guard"]);
    expect(await version(user.id)).toBe(before + 1);
  });
});

describe("a request with an access token", () => {
  it("checks the token with one call to the user's object (its stamp), reads no KV and writes nothing", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() => call("GET", "/api/two-factor/secret", { apiKey: null, headers: { Authorization: `Bearer ${token}` } }));

    expect(status).toBe(200);
    expect(meter.kvReads, "KV reads").toEqual([]);
    expectOneCallToTheUser(meter, user.id, "acceptsToken");
    expect(writes).toEqual([]);
  });

  it("makes one call, not two, where the handler's own call to the user's object checks the stamp (listing trusted devices)", async () => {
    const user = await createUser();
    const token = await accessToken(user);

    const { status, meter } = await metered(() => call("GET", "/api/user/two-factor/trust", { apiKey: null, headers: { Authorization: `Bearer ${token}` } }));

    expect(status).toBe(200);
    expect(meter.kvReads, "KV reads").toEqual([]);
    expectOneCallToTheUser(meter, user.id, "listTrust");
  });
});

describe("with SMS (TextMessage delivery, Twilio faked)", () => {
  beforeEach(async () => {
    expect((await configureTwilio()).status).toBe(200);
  });

  it("POST /api/login texts the code: index read, one call to the user's object, two throttle calls, one Twilio request", async () => {
    const user = await createTextMessageUser("555-555-0701");
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() => login(user.email, user.password));

    expect(status).toBe(242);
    // The Twilio settings are this isolate's copy, written a moment ago by configureTwilio.
    expect(meter.kvReads, "KV reads").toEqual([await indexKey(user.email)]);
    expect(meter.kvWrites, "KV writes").toEqual([]);
    expect(meter.rpc.USER_GUARD, "USER_GUARD calls").toEqual(["login"]);
    // Every stub made is of this user's object (the second, if any, is only for giving a failed text back).
    expect(new Set(meter.stubs.USER_GUARD), "USER_GUARD objects").toEqual(new Set([userObject(user.id)]));
    expect(meter.stubs.PHONE_THROTTLE, "PHONE_THROTTLE stubs").toEqual(await throttlesOf("+15555550701"));
    expect(meter.rpc.PHONE_THROTTLE, "PHONE_THROTTLE calls").toEqual(["acquire", "spend"]);
    expect(meter.stubs.IDENTIFIER_CLAIM).toEqual([]);
    expect(meter.fetches, "outbound fetches").toHaveLength(1);
    expect(meter.fetches[0]!.startsWith(FAKE_TWILIO_URL)).toBe(true);
    expect(messagesTo(fake, "+15555550701")).toHaveLength(1);
    // Pending login, send reservation and texted step: one write of the guard state.
    expect(writes).toEqual(["put guard"]);
  });

  it("POST /api/two-factor/send/{twoFactorId}: no index read, one call to the user's object, two throttle calls, one Twilio request", async () => {
    const user = await createTextMessageUser("555-555-0702");
    const twoFactorId = await startTwoFactorLogin(user);
    expect(messagesTo(fake, "+15555550702")).toHaveLength(1);
    advanceClock(31); // the per-phone spacing of texts for one login
    // This isolate's copy of the Twilio settings is 31 s old now; the Integrations API refreshes it.
    expect((await call("GET", "/api/integration")).status).toBe(200);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() => sendDuringLogin(twoFactorId));

    expect(status).toBe(200);
    await expectLoginSendBudget(meter, user.id, "+15555550702");
    expect(messagesTo(fake, "+15555550702")).toHaveLength(2);
    expect(writes).toEqual(["put guard"]);
  });

  it("a text reads the Twilio settings once when this isolate's copy is 5 s old", async () => {
    const user = await createTextMessageUser("555-555-0704");
    advanceClock(5);

    const { status, meter } = await metered(() => login(user.email, user.password));

    expect(status).toBe(242);
    expect(meter.kvReads, "KV reads").toEqual([await indexKey(user.email), TWILIO_SETTINGS_KEY]);
    expect(messagesTo(fake, "+15555550704")).toHaveLength(1);
  });

  it("a resend from a client address costs the same two throttle calls (the budget object counts texts per client too)", async () => {
    const user = await createTextMessageUser("555-555-0703");
    const twoFactorId = await startTwoFactorLogin(user);
    advanceClock(31);

    const { status, meter } = await metered(() => sendDuringLogin(twoFactorId, { "CF-Connecting-IP": "203.0.113.7" }));

    expect(status).toBe(200);
    expect(meter.rpc.USER_GUARD, "USER_GUARD calls").toEqual(["sendChallengeCode"]);
    expect(meter.stubs.PHONE_THROTTLE, "PHONE_THROTTLE stubs").toEqual(await throttlesOf("+15555550703"));
    expect(meter.rpc.PHONE_THROTTLE, "PHONE_THROTTLE calls").toEqual(["acquire", "spend"]);
    expect(meter.fetches, "outbound fetches").toHaveLength(1);
  });
});

describe("with a 1.26+ phone method (Twilio faked)", () => {
  beforeEach(async () => {
    expect((await configureTwilio()).status).toBe(200);
  });

  /** A user whose only method is a phone enabled through the 1.26+ API, and its method id. */
  async function phoneMethodUser(typed: string, e164: string) {
    const user = await createUser();
    expect((await enableSmsMethod(fake, user.id, typed, e164)).status).toBe(200);
    const { user: shown } = (await (await call("GET", `/api/user/${user.id}`)).json()) as { user: { twoFactor: { methods: Array<{ id: string }> } } };
    return { ...user, methodId: shown.twoFactor.methods[0]!.id };
  }

  it("POST /api/login (242) texts nothing: one index read, one call to the user's object, one storage write", async () => {
    const user = await phoneMethodUser("555-555-0711", "+15555550711");
    const texts = messagesTo(fake, "+15555550711").length;
    const writes = await watchStorage(user.id);

    const { status, body, meter } = await metered(() => login(user.email, user.password));

    expect(status).toBe(242);
    expect((JSON.parse(body) as { methods: Array<{ id: string }> }).methods.map((method) => method.id)).toEqual([user.methodId]);
    expect(meter.kvReads, "KV reads").toEqual([await indexKey(user.email)]);
    expectOneCallToTheUser(meter, user.id, "login");
    expect(messagesTo(fake, "+15555550711")).toHaveLength(texts);
    expect(writes).toEqual(["put guard"]);
  });

  it("POST /api/two-factor/send/{twoFactorId} {methodId}: no KV, one call to the user's object, two throttle calls, one Twilio request", async () => {
    const user = await phoneMethodUser("555-555-0712", "+15555550712");
    const twoFactorId = await startTwoFactorLogin(user);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() =>
      call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, body: { methodId: user.methodId }, headers: { "CF-Connecting-IP": "203.0.113.9" } }),
    );

    expect(status).toBe(200);
    await expectLoginSendBudget(meter, user.id, "+15555550712");
    expect(writes).toEqual(["put guard"]);
  });

  it("POST /api/two-factor/login with the code texted by methodId: no KV, one call to the user's object", async () => {
    const user = await phoneMethodUser("555-555-0713", "+15555550713");
    const twoFactorId = await startTwoFactorLogin(user);
    const sent = await call("POST", `/api/two-factor/send/${twoFactorId}`, { apiKey: null, body: { methodId: user.methodId } });
    expect(sent.status).toBe(200);
    const writes = await watchStorage(user.id);

    const { status, meter } = await metered(() => twoFactorLogin({ twoFactorId, code: lastCodeTo(fake, "+15555550713") }));

    expect(status).toBe(200);
    expect(meter.kvReads, "KV reads").toEqual([]);
    expectOneCallToTheUser(meter, user.id, "completeLogin");
    expect(writes).toEqual(SUCCESSFUL_LOGIN_WRITES);
  });
});
