// The User API: create, retrieve, replace, merge and delete; validation and the
// FusionAuth Errors body; uniqueness of email and username under concurrency; API-key
// authentication; the empty-body / JSON content-type contract; 2FA fields.
// Every test makes its own users.
import { describe, expect, it } from "vitest";
import { API_KEY, call, codeFor, createUser, emptyResponse, login, newSecret, uniqueEmail } from "../helpers";

const PASSWORD = "correct horse battery";
const EMPTY = { contentType: null, body: "" };

type PublicUser = Record<string, unknown> & { id: string; email?: string; username?: string };
type Errors = {
  fieldErrors?: Record<string, Array<{ code: string; message: string }>>;
  generalErrors?: Array<{ code: string; message: string }>;
};

function createRaw(user: Record<string, unknown>, path = "/api/user") {
  return call("POST", path, { body: { user } });
}

/** Reads a JSON response after checking it says it is JSON. */
async function jsonOf<T>(response: Response): Promise<T> {
  expect(response.headers.get("Content-Type") ?? "").toMatch(/^application\/json/);
  return (await response.json()) as T;
}

async function userOf(response: Response): Promise<PublicUser> {
  const text = await response.clone().text();
  expect(response.status, text).toBe(200);
  return (await jsonOf<{ user: PublicUser }>(response)).user;
}

/** A 400 whose Errors body has `code` for `field`. */
async function expectFieldError(response: Response, field: string, code: string): Promise<Errors> {
  const text = await response.clone().text();
  expect(response.status, text).toBe(400);
  const errors = await jsonOf<Errors>(response);
  expect(
    errors.fieldErrors?.[field]?.map((error) => error.code),
    text,
  ).toContain(code);
  for (const error of errors.fieldErrors?.[field] ?? []) expect(typeof error.message).toBe("string");
  return errors;
}

async function expectGeneralError(response: Response, status: number, code?: string): Promise<Errors> {
  const text = await response.clone().text();
  expect(response.status, text).toBe(status);
  const errors = await jsonOf<Errors>(response);
  expect(errors.generalErrors?.length, text).toBeGreaterThan(0);
  if (code) expect(errors.generalErrors![0]!.code).toBe(code);
  return errors;
}

const getById = (id: string) => call("GET", `/api/user/${id}`);
const getBy = (param: "email" | "username" | "loginId", value: string) => call("GET", `/api/user?${param}=${encodeURIComponent(value)}`);

describe("creating users", () => {
  it("creates a user with a generated id and returns it without its password", async () => {
    const email = uniqueEmail();
    const user = await userOf(await createRaw({ email, password: PASSWORD, firstName: "Ada", data: { plan: "pro" } }));
    expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(user).toMatchObject({ email, firstName: "Ada", data: { plan: "pro" }, active: true, twoFactorEnabled: false, twoFactorDelivery: "None" });
    expect(user).not.toHaveProperty("password");
    expect(user).not.toHaveProperty("twoFactorSecret");
    expect(typeof user.insertInstant).toBe("number");
  });

  it("creates a user under the id given in the path", async () => {
    const id = crypto.randomUUID();
    const user = await userOf(await createRaw({ email: uniqueEmail(), password: PASSWORD }, `/api/user/${id}`));
    expect(user.id).toBe(id);
    expect((await userOf(await getById(id))).id).toBe(id);
  });

  it("accepts a FusionAuth-style id that is not an RFC 4122 variant UUID", async () => {
    // FusionAuth parses ids with java.util.UUID.fromString, which accepts any 8-4-4-4-12 hex string;
    // its documentation uses ids such as 00000000-0000-0001-0000-000000000000.
    const id = `00000000-0000-0001-0000-${crypto.randomUUID().slice(-12)}`;
    const response = await createRaw({ email: uniqueEmail(), password: PASSWORD }, `/api/user/${id}`);
    expect((await userOf(response)).id).toBe(id);
  });

  it("treats a chosen id case-insensitively, as FusionAuth's UUIDs are", async () => {
    // java.util.UUID prints lower case, so FusionAuth answers with the canonical id and finds the user
    // whatever the case of the path; two users must not exist under one id in two cases.
    const id = crypto.randomUUID();
    const created = await userOf(await createRaw({ email: uniqueEmail(), password: PASSWORD }, `/api/user/${id.toUpperCase()}`));
    expect(created.id).toBe(id);
    expect((await userOf(await getById(id))).id).toBe(id);
    const again = await createRaw({ email: uniqueEmail(), password: PASSWORD }, `/api/user/${id}`);
    expect(again.status).toBe(400);
  });

  it("creates a user that has only a username", async () => {
    const username = `neo-${crypto.randomUUID()}`;
    const user = await userOf(await createRaw({ username, password: PASSWORD }));
    expect(user.username).toBe(username);
    expect(user).not.toHaveProperty("email");
  });

  it("refuses a second user with the same id", async () => {
    const id = crypto.randomUUID();
    await userOf(await createRaw({ email: uniqueEmail(), password: PASSWORD }, `/api/user/${id}`));
    const second = await createRaw({ email: uniqueEmail(), password: PASSWORD }, `/api/user/${id}`);
    const text = await second.clone().text();
    expect(second.status, text).toBe(400);
    const errors = await jsonOf<Errors>(second);
    expect(JSON.stringify(errors)).toMatch(/\[duplicate\]/);
  });

  it("refuses an email that is already taken, whatever its case", async () => {
    const email = uniqueEmail("Dup");
    await createUser({ email });
    await expectFieldError(await createRaw({ email: email.toUpperCase(), password: PASSWORD }), "user.email", "[duplicate]user.email");
  });

  it("refuses a username that is already taken, whatever its case", async () => {
    const username = `Trinity-${crypto.randomUUID()}`;
    await userOf(await createRaw({ username, password: PASSWORD }));
    await expectFieldError(await createRaw({ username: username.toLowerCase(), password: PASSWORD }), "user.username", "[duplicate]user.username");
  });

  it("lets exactly one of ten concurrent creates with the same email win", async () => {
    const email = uniqueEmail("race");
    const variants = Array.from({ length: 10 }, (_, i) => (i % 2 ? email.toUpperCase() : email.replace(/^./, (c) => c.toUpperCase())));
    const responses = await Promise.all(variants.map((variant) => createRaw({ email: variant, password: PASSWORD })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(9);
    let winner: PublicUser | undefined;
    for (const response of responses) {
      if (response.status === 200) winner = await userOf(response);
      else await expectFieldError(response, "user.email", "[duplicate]user.email");
    }
    const found = await userOf(await getBy("email", email));
    expect(found.id).toBe(winner!.id);
  });
});

describe("validating a user", () => {
  it("requires an email or a username", async () => {
    await expectFieldError(await createRaw({ password: PASSWORD, firstName: "Nobody" }), "user.email", "[blank]user.email");
  });

  it("rejects an email that is not an address", async () => {
    await expectFieldError(await createRaw({ email: "not-an-email", password: PASSWORD }), "user.email", "[invalid]user.email");
  });

  it("rejects markup, quoted, spaced and malformed emails as [invalid]user.email on create and PATCH, storing nothing", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const user = await userOf(await createRaw({ email: uniqueEmail(), password: PASSWORD }));
    for (const email of [
      `<img/src=x/onerror=alert(1)>-${tag}@x.io`,
      `\uff1cscript\uff1e-${tag}@x.io`,
      `"quoted ${tag}"@example.com`,
      `${tag}..x@example.com`,
      `${tag}@[192.0.2.1]`,
      `${tag}@exa_mple.com`,
      `${tag},x@example.com`,
    ]) {
      await expectFieldError(await createRaw({ email, password: PASSWORD }), "user.email", "[invalid]user.email");
      await expectFieldError(await call("PATCH", `/api/user/${user.id}`, { body: { user: { email } } }), "user.email", "[invalid]user.email");
      expect((await getBy("email", email)).status, email).toBe(404);
    }
  });

  it("accepts real addresses: tags, apostrophes, subdomains, accents, Unicode and punycode domains", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    for (const email of [
      `first.last+${tag}@mail.example.co.uk`,
      `o'leary-${tag}@example.ie`,
      `jos\u00e9-${tag}@example.com`,
      `${tag}@b\u00fccher.example`,
      `${tag}@xn--bcher-kva.example`,
      `\u7528\u6237-${tag}@\u4f8b\u5b50.\u5e7f\u544a`,
    ]) {
      expect((await userOf(await createRaw({ email, password: PASSWORD }))).email).toBe(email);
    }
  });

  it("rejects a password of seven characters as too short", async () => {
    await expectFieldError(await createRaw({ email: uniqueEmail(), password: "1234567" }), "user.password", "[tooShort]user.password");
  });

  it("rejects a password of 257 characters as too long", async () => {
    await expectFieldError(await createRaw({ email: uniqueEmail(), password: "x".repeat(257) }), "user.password", "[tooLong]user.password");
  });

  it("accepts passwords of exactly eight and 256 characters", async () => {
    await userOf(await createRaw({ email: uniqueEmail(), password: "12345678" }));
    await userOf(await createRaw({ email: uniqueEmail(), password: "x".repeat(256) }));
  });

  it("requires a password on create", async () => {
    await expectFieldError(await createRaw({ email: uniqueEmail() }), "user.password", "[blank]user.password");
  });

  it("rejects a user id in the path that is not a UUID", async () => {
    await expectFieldError(await createRaw({ email: uniqueEmail(), password: PASSWORD }, "/api/user/not-a-uuid"), "userId", "[invalid]userId");
    await expectFieldError(await getById("not-a-uuid"), "userId", "[invalid]userId");
  });

  it("rejects a field of the wrong type", async () => {
    await expectFieldError(await createRaw({ email: uniqueEmail(), password: PASSWORD, active: "yes" }), "user.active", "[invalid]user.active");
    await expectFieldError(await createRaw({ email: 42, password: PASSWORD }), "user.email", "[invalid]user.email");
  });

  it("rejects malformed JSON with a general [invalid] error", async () => {
    const response = await call("POST", "/api/user", { body: '{"user": {"email": "a@b.co",' });
    await expectGeneralError(response, 400, "[invalid]");
  });

  it("rejects a JSON body that is an array or a string", async () => {
    for (const body of ['[{"user": {}}]', '"user"']) {
      const response = await call("POST", "/api/user", { body });
      const text = await response.clone().text();
      expect(response.status, text).toBe(400);
      await jsonOf<Errors>(response);
    }
  });

  it("rejects a body carrying a __proto__ key and creates nothing", async () => {
    const email = uniqueEmail("proto");
    const body = `{"user": {"email": "${email}", "password": "${PASSWORD}", "__proto__": {"active": false}}, "__proto__": {"admin": true}}`;
    const response = await call("POST", "/api/user", { body });
    const text = await response.clone().text();
    expect(response.status, text).toBe(400);
    await jsonOf<Errors>(response);
    expect(await emptyResponse(await getBy("email", email))).toEqual({ status: 404, ...EMPTY });
  });

  it("refuses user.data over 64 KiB, or nested past 100 levels (3,000 once answered 500), and stores nothing", async () => {
    /** A `data` `levels` deep: itself and arrays within. */
    const data = (levels: number) => ({ deep: JSON.parse("[".repeat(levels - 1) + "]".repeat(levels - 1)) as unknown });
    const email = uniqueEmail("data");
    await expectFieldError(await createRaw({ email, password: PASSWORD, data: { blob: "x".repeat(64 * 1024) } }), "user.data", "[tooLarge]user.data");
    for (const levels of [3000, 101])
      await expectFieldError(await createRaw({ email, password: PASSWORD, data: data(levels) }), "user.data", "[invalid]user.data");
    expect((await getBy("email", email)).status).toBe(404);
    const user = await userOf(await createRaw({ email, password: PASSWORD, data: data(100) }));
    await expectFieldError(await call("PATCH", `/api/user/${user.id}`, { body: { user: { data: data(3000) } } }), "user.data", "[invalid]user.data");
    expect((await userOf(await getById(user.id))).data).toEqual(data(100));
  });

  it("rejects a body over 1 MiB with 413 and an Errors body", async () => {
    const body = JSON.stringify({ user: { email: uniqueEmail(), password: PASSWORD, data: { blob: "x".repeat(1024 * 1024 + 1) } } });
    await expectGeneralError(await call("POST", "/api/user", { body }), 413);
  });
});

describe("validating a mobile phone", () => {
  // The rule a send applies (src/sms/phone.ts): E.164 once normalised, national numbers read in
  // DEFAULT_PHONE_REGION (US here); Twilio's test numbers and 555 numbers are possible numbers.
  const NOT_PHONES = ["12", "not a phone", "+1", "555-555-555", "+999999999999999999", "call 555-555-5555 now"];

  it("refuses a mobilePhone that is no phone number on create with [invalid]user.mobilePhone, and creates nothing", async () => {
    for (const mobilePhone of NOT_PHONES) {
      const email = uniqueEmail("bad-phone");
      const errors = await expectFieldError(await createRaw({ email, password: PASSWORD, mobilePhone }), "user.mobilePhone", "[invalid]user.mobilePhone");
      expect(errors.fieldErrors?.["user.mobilePhone"]?.[0]?.message).toBe("The [user.mobilePhone] is not a phone number.");
      expect(await emptyResponse(await getBy("email", email))).toEqual({ status: 404, ...EMPTY });
      // The email was not claimed either.
      await userOf(await createRaw({ email, password: PASSWORD }));
    }
  });

  it("accepts E.164, national and formatted numbers and stores them as given", async () => {
    for (const mobilePhone of ["+15555550150", "555-555-0151", "(206) 555-0152", "+44 20 7946 0153", "+15005550006"]) {
      expect((await userOf(await createRaw({ email: uniqueEmail(), password: PASSWORD, mobilePhone }))).mobilePhone).toBe(mobilePhone);
    }
  });

  it("refuses a bad mobilePhone on PUT and PATCH and keeps the stored user unchanged", async () => {
    const user = await createUser({ mobilePhone: "555-555-0154", firstName: "Ada" });
    for (const method of ["PUT", "PATCH"]) {
      const body = { user: { email: user.email, firstName: "Grace", mobilePhone: "12" } };
      await expectFieldError(await call(method, `/api/user/${user.id}`, { body }), "user.mobilePhone", "[invalid]user.mobilePhone");
      expect(await userOf(await getById(user.id))).toMatchObject({ mobilePhone: "555-555-0154", firstName: "Ada" });
    }
  });

  it("lets PATCH change the number to another valid one, or clear it with null", async () => {
    const user = await createUser({ mobilePhone: "555-555-0155" });
    expect((await userOf(await call("PATCH", `/api/user/${user.id}`, { body: { user: { mobilePhone: "+1 555 555 0156" } } }))).mobilePhone).toBe(
      "+1 555 555 0156",
    );
    expect(await userOf(await call("PATCH", `/api/user/${user.id}`, { body: { user: { mobilePhone: null } } }))).not.toHaveProperty("mobilePhone");
  });
});

describe("retrieving users", () => {
  it("finds a user by id, email, username and loginId", async () => {
    const email = uniqueEmail("Find");
    const username = `morpheus-${crypto.randomUUID()}`;
    const created = await userOf(await createRaw({ email, username, password: PASSWORD }));
    for (const response of [
      await getById(created.id),
      await getBy("email", email.toLowerCase()),
      await getBy("username", username.toUpperCase()),
      await getBy("loginId", email),
      await getBy("loginId", username),
    ]) {
      const user = await userOf(response);
      expect(user).toMatchObject({ id: created.id, email, username });
      expect(user).not.toHaveProperty("password");
      expect(user).not.toHaveProperty("twoFactorSecret");
    }
  });

  it("answers an unknown id, email or username with an empty 404", async () => {
    for (const response of [
      await getById(crypto.randomUUID()),
      await getBy("email", uniqueEmail()),
      await getBy("username", "nobody-" + crypto.randomUUID()),
    ]) {
      expect(await emptyResponse(response)).toEqual({ status: 404, ...EMPTY });
    }
  });

  it("returns the JWT's own user for GET /api/user with a Bearer token", async () => {
    const user = await createUser();
    await createUser();
    const loggedIn = await login(user.email, user.password);
    const { token } = (await loggedIn.json()) as { token: string };
    const response = await call("GET", "/api/user", { apiKey: null, headers: { Authorization: `Bearer ${token}` } });
    expect((await userOf(response)).id).toBe(user.id);
  });

  it("does not accept a JWT on GET /api/user/{id}, which needs an API key", async () => {
    const user = await createUser();
    const { token } = (await (await login(user.email, user.password)).json()) as { token: string };
    const response = await call("GET", `/api/user/${user.id}`, { apiKey: null, headers: { Authorization: `Bearer ${token}` } });
    expect(await emptyResponse(response)).toEqual({ status: 401, ...EMPTY });
  });
});

describe("updating users", () => {
  it("replaces the user on PUT, clearing fields the body leaves out", async () => {
    const user = await createUser({ firstName: "Ada", lastName: "Lovelace", mobilePhone: "+15555550100" });
    const email = uniqueEmail("put");
    const updated = await userOf(await call("PUT", `/api/user/${user.id}`, { body: { user: { email, firstName: "Grace" } } }));
    expect(updated).toMatchObject({ id: user.id, email, firstName: "Grace" });
    expect(updated).not.toHaveProperty("lastName");
    expect(updated).not.toHaveProperty("mobilePhone");
    expect(updated).not.toHaveProperty("password");
    const fetched = await userOf(await getById(user.id));
    expect(fetched).toMatchObject({ email, firstName: "Grace" });
    expect(fetched).not.toHaveProperty("lastName");
  });

  it("merges the user on PATCH, keeping fields the body leaves out", async () => {
    const user = await createUser({ firstName: "Ada", lastName: "Lovelace" });
    const patched = await userOf(await call("PATCH", `/api/user/${user.id}`, { body: { user: { firstName: "Augusta" } } }));
    expect(patched).toMatchObject({ id: user.id, email: user.email, firstName: "Augusta", lastName: "Lovelace" });
    expect(await userOf(await getById(user.id))).toMatchObject({ firstName: "Augusta", lastName: "Lovelace" });
  });

  it("changes the password on PATCH so only the new one logs in", async () => {
    const user = await createUser();
    await userOf(await call("PATCH", `/api/user/${user.id}`, { body: { user: { password: "a brand new password" } } }));
    expect((await login(user.email, user.password)).status).toBe(404);
    expect((await login(user.email, "a brand new password")).status).toBe(200);
  });

  it("frees the old email and claims the new one when PATCH changes the email", async () => {
    const user = await createUser();
    const newEmail = uniqueEmail("moved");
    await userOf(await call("PATCH", `/api/user/${user.id}`, { body: { user: { email: newEmail } } }));

    expect((await userOf(await getBy("email", newEmail))).id).toBe(user.id);
    expect(await emptyResponse(await getBy("email", user.email))).toEqual({ status: 404, ...EMPTY });
    await expectFieldError(await createRaw({ email: newEmail.toUpperCase(), password: PASSWORD }), "user.email", "[duplicate]user.email");

    const taker = await userOf(await createRaw({ email: user.email, password: PASSWORD }));
    expect(taker.id).not.toBe(user.id);
    expect((await userOf(await getBy("email", user.email))).id).toBe(taker.id);
  });

  it("refuses a PATCH to an email another user holds", async () => {
    const first = await createUser();
    const second = await createUser();
    await expectFieldError(
      await call("PATCH", `/api/user/${second.id}`, { body: { user: { email: first.email.toUpperCase() } } }),
      "user.email",
      "[duplicate]user.email",
    );
    expect((await userOf(await getById(second.id))).email).toBe(second.email);
  });

  it("answers PUT and PATCH of an unknown user with an empty 404", async () => {
    for (const method of ["PUT", "PATCH"]) {
      const response = await call(method, `/api/user/${crypto.randomUUID()}`, { body: { user: { email: uniqueEmail() } } });
      expect(await emptyResponse(response)).toEqual({ status: 404, ...EMPTY });
    }
  });
});

describe("deleting users", () => {
  it("deletes a user with an empty 200, after which it is not found", async () => {
    const user = await createUser();
    expect(await emptyResponse(await call("DELETE", `/api/user/${user.id}`))).toEqual({ status: 200, ...EMPTY });
    expect(await emptyResponse(await getById(user.id))).toEqual({ status: 404, ...EMPTY });
    expect(await emptyResponse(await getBy("email", user.email))).toEqual({ status: 404, ...EMPTY });
    expect(await emptyResponse(await call("DELETE", `/api/user/${user.id}`))).toEqual({ status: 404, ...EMPTY });
  });

  it("frees a deleted user's email for a new user", async () => {
    const user = await createUser();
    await call("DELETE", `/api/user/${user.id}`);
    const again = await userOf(await createRaw({ email: user.email, password: PASSWORD }));
    expect(again.id).not.toBe(user.id);
  });
});

describe("API key authentication", () => {
  it("answers a request without an API key with an empty 401", async () => {
    const user = await createUser();
    expect(await emptyResponse(await call("GET", `/api/user/${user.id}`, { apiKey: null }))).toEqual({ status: 401, ...EMPTY });
    expect(await emptyResponse(await call("POST", "/api/user", { apiKey: null, body: { user: { email: uniqueEmail(), password: PASSWORD } } }))).toEqual({
      status: 401,
      ...EMPTY,
    });
  });

  it("answers a wrong API key with an empty 401", async () => {
    const user = await createUser();
    for (const apiKey of ["wrong-key", `${API_KEY}x`, API_KEY.slice(0, -1), `Bearer ${API_KEY}`]) {
      expect(await emptyResponse(await call("GET", `/api/user/${user.id}`, { apiKey }))).toEqual({ status: 401, ...EMPTY });
    }
  });

  it("accepts the second key listed in API_KEYS", async () => {
    const user = await createUser();
    expect((await userOf(await call("GET", `/api/user/${user.id}`, { apiKey: "second-test-key" }))).id).toBe(user.id);
  });

  it("answers a 100 KB Authorization header with 401, not 500", async () => {
    const response = await call("GET", `/api/user/${crypto.randomUUID()}`, { apiKey: "a".repeat(100 * 1024) });
    expect(await emptyResponse(response)).toEqual({ status: 401, ...EMPTY });
  });
});

describe("two-factor fields on the User API", () => {
  it("requires a twoFactorSecret to enable 2FA with delivery None", async () => {
    const response = await createRaw({ email: uniqueEmail(), password: PASSWORD, twoFactorEnabled: true, twoFactorDelivery: "None" });
    await expectFieldError(response, "user.twoFactorSecret", "[blank]user.twoFactorSecret");
  });

  it("requires a mobilePhone to enable 2FA with delivery TextMessage", async () => {
    const response = await createRaw({ email: uniqueEmail(), password: PASSWORD, twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
    await expectFieldError(response, "user.mobilePhone", "[blank]user.mobilePhone");
  });

  it("generates the secret for a TextMessage user created without one", async () => {
    const created = await userOf(
      await createRaw({ email: uniqueEmail(), password: PASSWORD, mobilePhone: "+15555550123", twoFactorEnabled: true, twoFactorDelivery: "TextMessage" }),
    );
    expect(created).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
    expect(created).not.toHaveProperty("twoFactorSecret");
    const fetched = await userOf(await getById(created.id));
    expect(fetched).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
    expect(fetched).not.toHaveProperty("twoFactorSecret");
  });

  it("rejects a twoFactorSecret that is not a usable Base64 key", async () => {
    const response = await createRaw({ email: uniqueEmail(), password: PASSWORD, twoFactorEnabled: true, twoFactorSecret: "c2hvcnQ=" });
    await expectFieldError(response, "user.twoFactorSecret", "[invalid]user.twoFactorSecret");
  });

  it("makes login answer 242 once 2FA is enabled with a valid secret, and 200 once PATCH disables it", async () => {
    const email = uniqueEmail("tfa");
    const created = await userOf(
      await createRaw({ email, password: PASSWORD, twoFactorEnabled: true, twoFactorDelivery: "None", twoFactorSecret: await newSecret() }),
    );
    expect(created.twoFactorEnabled).toBe(true);
    expect(created).not.toHaveProperty("twoFactorSecret");

    const challenged = await login(email, PASSWORD);
    expect(challenged.status).toBe(242);
    expect(await jsonOf<{ twoFactorId: string }>(challenged)).toEqual({
      twoFactorId: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      methods: [expect.objectContaining({ method: "authenticator" })],
    });

    const disabled = await userOf(await call("PATCH", `/api/user/${created.id}`, { body: { user: { twoFactorEnabled: false } } }));
    expect(disabled).toMatchObject({ twoFactorEnabled: false, twoFactorDelivery: "None" });
    const plain = await login(email, PASSWORD);
    expect(plain.status).toBe(200);
    expect((await jsonOf<{ user: PublicUser }>(plain)).user.twoFactorEnabled).toBe(false);
  });

  it("refuses to change the secret while 2FA is enabled", async () => {
    const email = uniqueEmail("tfa-secret");
    const created = await userOf(await createRaw({ email, password: PASSWORD, twoFactorEnabled: true, twoFactorSecret: await newSecret() }));
    const response = await call("PATCH", `/api/user/${created.id}`, { body: { user: { twoFactorSecret: await newSecret() } } });
    await expectFieldError(response, "user.twoFactorSecret", "[invalid]user.twoFactorSecret");
    expect((await login(email, PASSWORD)).status).toBe(242);
  });

  // @fusionauth/typescript-client before 1.19 declared TwoFactorDelivery as a numeric enum and sent 0 / 1.
  it("reads the numeric twoFactorDelivery 0 / 1 of clients before 1.19 on POST and answers the names", async () => {
    const none = await userOf(
      await createRaw({ email: uniqueEmail(), password: PASSWORD, twoFactorEnabled: true, twoFactorDelivery: 0, twoFactorSecret: await newSecret() }),
    );
    expect(none).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    expect(await userOf(await getById(none.id))).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    const text = await userOf(
      await createRaw({ email: uniqueEmail(), password: PASSWORD, mobilePhone: "+15555550125", twoFactorEnabled: true, twoFactorDelivery: 1 }),
    );
    expect(text).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
    expect(await userOf(await getBy("email", text.email!))).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
  });

  it("reads the numeric twoFactorDelivery on PATCH and PUT: 1 enables TextMessage, and is a change of delivery for a None user", async () => {
    const created = await userOf(await createRaw({ email: uniqueEmail(), password: PASSWORD, mobilePhone: "+15555550126" }));
    const patched = await userOf(await call("PATCH", `/api/user/${created.id}`, { body: { user: { twoFactorEnabled: true, twoFactorDelivery: 1 } } }));
    expect(patched).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
    expect(await userOf(await getById(created.id))).toMatchObject({ twoFactorDelivery: "TextMessage" });
    // The same delivery as a number is no change; the other one is refused as a change while enabled.
    expect((await call("PATCH", `/api/user/${created.id}`, { body: { user: { twoFactorDelivery: 1 } } })).status).toBe(200);
    const changed = await call("PATCH", `/api/user/${created.id}`, { body: { user: { twoFactorDelivery: 0 } } });
    await expectFieldError(changed, "user.twoFactorDelivery", "[invalid]user.twoFactorDelivery");

    const other = await userOf(await createRaw({ email: uniqueEmail(), password: PASSWORD, mobilePhone: "+15555550127" }));
    const put = await call("PUT", `/api/user/${other.id}`, {
      body: { user: { email: other.email, mobilePhone: "+15555550127", twoFactorEnabled: true, twoFactorDelivery: 0, twoFactorSecret: await newSecret() } },
    });
    expect(await userOf(put)).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    await expectFieldError(
      await call("PATCH", `/api/user/${other.id}`, { body: { user: { twoFactorDelivery: 1 } } }),
      "user.twoFactorDelivery",
      "[invalid]user.twoFactorDelivery",
    );
  });

  it.each([2, -1, 1.5, "0", "1", "textmessage", true, false])(
    "refuses the twoFactorDelivery %j with 400 [invalid]user.twoFactorDelivery on POST and PATCH",
    async (delivery) => {
      const email = uniqueEmail("bad-delivery");
      const fields = {
        password: PASSWORD,
        mobilePhone: "+15555550128",
        twoFactorEnabled: true,
        twoFactorDelivery: delivery,
        twoFactorSecret: await newSecret(),
      };
      await expectFieldError(await createRaw({ email, ...fields }), "user.twoFactorDelivery", "[invalid]user.twoFactorDelivery");
      expect((await getBy("email", email)).status).toBe(404);
      const created = await userOf(await createRaw({ email, password: PASSWORD }));
      await expectFieldError(
        await call("PATCH", `/api/user/${created.id}`, { body: { user: fields } }),
        "user.twoFactorDelivery",
        "[invalid]user.twoFactorDelivery",
      );
      expect(await userOf(await getById(created.id))).toMatchObject({ twoFactorEnabled: false });
    },
  );

  it("refuses to change the delivery while 2FA is enabled", async () => {
    const created = await userOf(
      await createRaw({ email: uniqueEmail(), password: PASSWORD, mobilePhone: "+15555550124", twoFactorEnabled: true, twoFactorSecret: await newSecret() }),
    );
    const response = await call("PATCH", `/api/user/${created.id}`, { body: { user: { twoFactorDelivery: "TextMessage" } } });
    await expectFieldError(response, "user.twoFactorDelivery", "[invalid]user.twoFactorDelivery");
  });
});

describe("twoFactor.methods on the User and Import APIs (FusionAuth 1.26+)", () => {
  type Method = { id: string; method: string; mobilePhone?: string };
  const methodsOf = (user: PublicUser) => (user.twoFactor as { methods: Method[] }).methods;

  it("creates a user with an authenticator and a phone: ids made by the server, no secret shown; the login lists both and a TOTP completes it", async () => {
    const secret = await newSecret();
    const email = uniqueEmail("methods-create");
    const created = await userOf(
      await createRaw({
        email,
        password: PASSWORD,
        twoFactor: {
          methods: [
            { id: "MINE", method: "authenticator", secret },
            { method: "sms", mobilePhone: "(415) 555-0142", name: "work" },
          ],
        },
      }),
    );
    const methods = methodsOf(created);
    expect(methods.map((method) => method.method)).toEqual(["authenticator", "sms"]);
    expect(methods.map((method) => method.id)).not.toContain("MINE");
    expect(methods[1]).toMatchObject({ mobilePhone: "+14155550142", name: "work" });
    expect(created).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    expect(JSON.stringify(created)).not.toContain(secret);

    const challenged = await login(email, PASSWORD);
    expect(challenged.status).toBe(242);
    const { twoFactorId, methods: offered } = await jsonOf<{ twoFactorId: string; methods: Method[] }>(challenged);
    expect(offered.map((method) => method.id)).toEqual(methods.map((method) => method.id));
    const done = await call("POST", "/api/two-factor/login", { apiKey: null, body: { twoFactorId, code: await codeFor(secret) } });
    expect(done.status).toBe(200);
  });

  it("appends with PATCH, keeps only the methods a PUT names by id, and clears them with an empty list", async () => {
    const created = await userOf(
      await createRaw({ email: uniqueEmail("methods-update"), password: PASSWORD, twoFactor: { methods: [{ method: "sms", mobilePhone: "+14155550143" }] } }),
    );
    const [first] = methodsOf(created);
    const patched = await userOf(
      await call("PATCH", `/api/user/${created.id}`, {
        body: { user: { twoFactor: { methods: [{ id: first!.id }, { method: "sms", mobilePhone: "+14155550144" }] } } },
      }),
    );
    expect(methodsOf(patched).map((method) => method.mobilePhone)).toEqual(["+14155550143", "+14155550144"]);

    const { twoFactor: _methods, ...profile } = patched;
    const second = methodsOf(patched)[1]!;
    const replaced = await userOf(
      await call("PUT", `/api/user/${created.id}`, {
        body: { user: { ...profile, twoFactor: { methods: [{ id: second.id, mobilePhone: "+14155550199" }] } } },
      }),
    );
    // A method named by id stays as it was: the User API does not edit methods.
    expect(methodsOf(replaced)).toEqual([second]);

    const cleared = await userOf(await call("PATCH", `/api/user/${created.id}`, { body: { user: { twoFactorEnabled: false } } }));
    expect(methodsOf(cleared)).toEqual([]);
  });

  it("refuses a legacy secret with methods, an authenticator without a secret and a phone no text can reach, changing nothing", async () => {
    const secret = await newSecret();
    const refused = async (twoFactor: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
      const response = await createRaw({ email: uniqueEmail("methods-bad"), password: PASSWORD, twoFactor, ...extra });
      expect(response.status).toBe(400);
      return Object.keys((await jsonOf<Errors>(response)).fieldErrors ?? {});
    };
    expect(await refused({ methods: [{ method: "authenticator", secret }] }, { twoFactorSecret: secret })).toEqual(["user.twoFactor.methods"]);
    expect(await refused({ methods: [{ method: "authenticator" }] })).toEqual(["user.twoFactor.methods[0].secret"]);
    expect(await refused({ methods: [{ method: "sms", mobilePhone: "12" }] })).toEqual(["user.twoFactor.methods[0].mobilePhone"]);
    expect(await refused({ methods: [{ mobilePhone: "+14155550145" }] })).toEqual(["user.twoFactor.methods[0].method"]);
    expect(await refused({ methods: [{ method: "email" }] })).toEqual(["user.twoFactor.methods[0].email"]);
    expect(await refused({ methods: [{ method: "email", email: "jane@localhost" }] })).toEqual(["user.twoFactor.methods[0].email"]);
  });

  it("creates a user with an email method, its domain lower-cased, which the login lists", async () => {
    const email = uniqueEmail("methods-email");
    const created = await userOf(await createRaw({ email, password: PASSWORD, twoFactor: { methods: [{ method: "email", email: " Jane@Example.ORG " }] } }));
    expect(methodsOf(created)).toEqual([{ id: expect.stringMatching(/^[A-Z0-9]{4}$/), method: "email", email: "Jane@example.org" }]);
    expect(created).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    const { methods } = await jsonOf<{ methods: Method[] }>(await login(email, PASSWORD));
    expect(methods).toEqual(methodsOf(created));
  });

  it("imports methods and recovery codes (twoFactor.recoveryCodes): a recovery code completes the login once", async () => {
    const secret = await newSecret();
    const email = uniqueEmail("methods-import");
    const hash = await (await import("../../src/crypto/password")).hashPassword(PASSWORD, 1000);
    const imported = await call("POST", "/api/user/import", {
      body: {
        users: [
          {
            email,
            password: hash.hash,
            salt: hash.salt,
            factor: hash.factor,
            encryptionScheme: hash.encryptionScheme,
            twoFactor: { methods: [{ method: "authenticator", secret }], recoveryCodes: ["7K2QD-M0XW9"] },
          },
        ],
      },
    });
    expect(imported.status, await imported.clone().text()).toBe(200);
    const first = await login(email, PASSWORD);
    const { twoFactorId } = await jsonOf<{ twoFactorId: string }>(first);
    expect((await call("POST", "/api/two-factor/login", { apiKey: null, body: { twoFactorId, code: "7k2qd m0xw9" } })).status).toBe(200);
    const again = await jsonOf<{ twoFactorId: string }>(await login(email, PASSWORD));
    expect((await call("POST", "/api/two-factor/login", { apiKey: null, body: { twoFactorId: again.twoFactorId, code: "7K2QD-M0XW9" } })).status).toBe(421);
  });
});
