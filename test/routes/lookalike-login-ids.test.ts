// Lookalike login ids: emails and usernames are one login id whatever their Unicode form — NFKC
// (UAX #15: fullwidth letters, ligatures, composed "é" U+00E9 vs "e" + U+0301), case and an email's
// final dot — so a variant of a taken email is a duplicate, not a second account, and logs in and is
// found as the same user. Ids that only look alike across scripts (UTS #39 confusables: Cyrillic "а"
// for "a") are refused as duplicates but stay apart for login. The stored email keeps the spelling
// the user gave. What is not joined (ß/ss, ASCII rn/m) is pinned too. Every test makes its own users.
import { describe, expect, it } from "vitest";
import { call, jsonBody, login } from "../helpers";

const PASSWORD = "correct horse battery";

/** ASCII letters, digits and "-" as their fullwidth forms (U+FF01..U+FF5E); "@" and "." stay ASCII, as the email syntax needs them. */
const fullwidth = (text: string) => text.replace(/[A-Za-z0-9-]/g, (char) => String.fromCodePoint(char.codePointAt(0)! + 0xfee0));

/** Lower-case ASCII letters as MATHEMATICAL BOLD SMALL letters (U+1D41A..U+1D433), which NFKC maps back. */
const bold = (text: string) => text.replace(/[a-z]/g, (char) => String.fromCodePoint(char.codePointAt(0)! - 0x61 + 0x1d41a));

/** A fresh email with a composed "é" (U+00E9) in its local part, and its lookalikes. */
function emailWithVariants() {
  const tag = crypto.randomUUID().slice(0, 8);
  const email = `jos\u00e9-${tag}@example.com`;
  const variants = {
    decomposed: `jose\u0301-${tag}@example.com`,
    fullwidth: `${fullwidth("jos")}\u00e9${fullwidth(`-${tag}`)}@${fullwidth("example")}.${fullwidth("com")}`,
    "upper case": email.toUpperCase(),
    "fullwidth, upper case and decomposed": `${fullwidth("JOSE")}\u0301${fullwidth(`-${tag.toUpperCase()}`)}@EXAMPLE.COM`,
    "mathematical bold": `${bold("jos")}\u00e9-${tag}@${bold("example")}.com`,
  };
  return { email, variants: Object.entries(variants) };
}

async function createRaw(user: Record<string, unknown>) {
  return call("POST", "/api/user", { body: { user: { password: PASSWORD, ...user } } });
}

async function created(user: Record<string, unknown>): Promise<{ id: string; email?: string; username?: string }> {
  const response = await createRaw(user);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await jsonBody(response)).user;
}

async function fieldErrorCodes(response: Response): Promise<Record<string, string[]>> {
  expect(response.status, await response.clone().text()).toBe(400);
  const { fieldErrors } = await jsonBody<{ fieldErrors: Record<string, Array<{ code: string }>> }>(response);
  return Object.fromEntries(Object.entries(fieldErrors).map(([field, errors]) => [field, errors.map(({ code }) => code)]));
}

describe("lookalike emails", () => {
  it("refuses fullwidth, decomposed and upper-case variants of a taken email as [duplicate]user.email", async () => {
    const { email, variants } = emailWithVariants();
    expect(variants.length).toBe(5);
    const owner = await created({ email });
    for (const [label, variant] of variants) {
      expect(variant, label).not.toBe(email);
      expect(await fieldErrorCodes(await createRaw({ email: variant })), label).toEqual({ "user.email": ["[duplicate]user.email"] });
    }
    // The owner keeps the spelling it gave, and is the only user behind every variant.
    const found = await jsonBody(await call("GET", `/api/user/${owner.id}`));
    expect(found.user.email).toBe(email);
  });

  it("logs every variant in as the same user, and finds the user by every variant", async () => {
    const { email, variants } = emailWithVariants();
    const owner = await created({ email });
    for (const [label, variant] of variants) {
      const response = await login(variant, PASSWORD);
      expect(response.status, label).toBe(200);
      expect((await jsonBody(response)).user).toMatchObject({ id: owner.id, email });
      for (const param of ["email", "loginId"]) {
        const lookup = await call("GET", `/api/user?${param}=${encodeURIComponent(variant)}`);
        expect(lookup.status, `${label} by ${param}`).toBe(200);
        expect((await jsonBody(lookup)).user).toMatchObject({ id: owner.id, email });
      }
    }
    expect((await login(variants[0]![1], "wrong password")).status).toBe(404);
  });

  it("keeps a decomposed spelling as given, and treats the composed one as the same login id", async () => {
    const { email, variants } = emailWithVariants();
    const decomposed = variants.find(([label]) => label === "decomposed")![1];
    const owner = await created({ email: decomposed });
    expect(owner.email).toBe(decomposed);
    expect(await fieldErrorCodes(await createRaw({ email }))).toEqual({ "user.email": ["[duplicate]user.email"] });
    expect((await jsonBody(await login(email, PASSWORD))).user.id).toBe(owner.id);
  });

  it("refuses a PATCH to another user's email in a lookalike form, and allows a user to respell its own", async () => {
    const { email, variants } = emailWithVariants();
    const owner = await created({ email });
    const other = await created({ email: `other-${crypto.randomUUID()}@example.com` });
    for (const [label, variant] of variants) {
      const response = await call("PATCH", `/api/user/${other.id}`, { body: { user: { email: variant } } });
      expect(await fieldErrorCodes(response), label).toEqual({ "user.email": ["[duplicate]user.email"] });
    }
    const respelt = await call("PATCH", `/api/user/${owner.id}`, { body: { user: { email: variants[0]![1] } } });
    expect(respelt.status, await respelt.clone().text()).toBe(200);
    expect((await jsonBody(respelt)).user.email).toBe(variants[0]![1]);
    expect((await jsonBody(await login(email, PASSWORD))).user.id).toBe(owner.id);
  });

  it("lets exactly one of concurrent creates with lookalike emails win", async () => {
    const { email, variants } = emailWithVariants();
    const responses = await Promise.all([email, ...variants.map(([, variant]) => variant)].map((variant) => createRaw({ email: variant })));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    for (const response of responses.filter((response) => response.status !== 200)) {
      expect(await fieldErrorCodes(response)).toEqual({ "user.email": ["[duplicate]user.email"] });
    }
  });
});

describe("lookalike usernames", () => {
  it("refuses fullwidth, decomposed, ligature and upper-case variants of a taken username", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const username = `ren\u00e9e-fi-${tag}`;
    const owner = await created({ username });
    for (const variant of [
      `rene\u0301e-fi-${tag}`,
      fullwidth(`RENE`) + `\u0301E-\ufb01-${tag}`,
      username.toUpperCase(),
      `ren\u00e9e-\ufb01-${fullwidth(tag)}`,
    ]) {
      expect(await fieldErrorCodes(await createRaw({ username: variant })), variant).toEqual({ "user.username": ["[duplicate]user.username"] });
      expect((await jsonBody(await login(variant, PASSWORD))).user.id, variant).toBe(owner.id);
      expect((await jsonBody(await call("GET", `/api/user?username=${encodeURIComponent(variant)}`))).user.id, variant).toBe(owner.id);
    }
  });

  it("refuses a username that is a lookalike of another user's email (one namespace)", async () => {
    const { email, variants } = emailWithVariants();
    await created({ email });
    expect(await fieldErrorCodes(await createRaw({ username: variants[1]![1] }))).toEqual({ "user.username": ["[duplicate]user.username"] });
  });
});

describe("what is not folded", () => {
  it("keeps ß apart from ss: toLowerCase is not full case folding, and ß is no lookalike of ss", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    const sharp = await created({ email: `stra\u00dfe-${tag}@example.com` });
    const doubled = await created({ email: `strasse-${tag}@example.com` });
    expect(doubled.id).not.toBe(sharp.id);
    // The capital sharp s lower-cases to ß, so it is ß's login id, not ss's.
    expect(await fieldErrorCodes(await createRaw({ email: `STRA\u1e9eE-${tag}@EXAMPLE.COM` }))).toEqual({ "user.email": ["[duplicate]user.email"] });
  });

  it("keeps ASCII ids that only UTS #39's ASCII mappings would join (rn and m, 1 and l, 0 and O) apart", async () => {
    const tag = crypto.randomUUID().slice(0, 8);
    for (const [a, b] of [
      [`modern-${tag}@example.com`, `modem-${tag}@example.com`],
      [`user1-${tag}`, `userl-${tag}`],
      [`b0b-${tag}`, `bob-${tag}`],
    ]) {
      const field = a!.includes("@") ? "email" : "username";
      const first = await created({ [field]: a });
      const second = await created({ [field]: b });
      expect(second.id).not.toBe(first.id);
    }
  });
});

/** A fresh ASCII email and its lookalikes in other scripts, each with the same skeleton. */
function emailWithLookalikes() {
  const tag = crypto.randomUUID().slice(0, 8);
  return {
    ascii: `paypal-${tag}@example.com`,
    cyrillic: `p\u0430ypal-${tag}@example.com`,
    latinAlpha: `p\u0251ypal-${tag}@example.com`,
    cyrillicDomain: `paypal-${tag}@\u0435x\u0430mple.com`,
  };
}

describe("lookalikes across scripts (UTS #39 confusables)", () => {
  it("refuses a Cyrillic lookalike of a taken ASCII email, as email or username, and on PATCH", async () => {
    const { ascii, cyrillic, cyrillicDomain } = emailWithLookalikes();
    await created({ email: ascii });
    const other = await created({ email: `other-${crypto.randomUUID()}@example.com` });
    for (const lookalike of [cyrillic, cyrillicDomain, cyrillic.toUpperCase()]) {
      expect(await fieldErrorCodes(await createRaw({ email: lookalike })), lookalike).toEqual({ "user.email": ["[duplicate]user.email"] });
      expect(await fieldErrorCodes(await createRaw({ username: lookalike })), lookalike).toEqual({ "user.username": ["[duplicate]user.username"] });
      const patched = await call("PATCH", `/api/user/${other.id}`, { body: { user: { email: lookalike } } });
      expect(await fieldErrorCodes(patched), lookalike).toEqual({ "user.email": ["[duplicate]user.email"] });
    }
  });

  it("refuses the ASCII email once its lookalike is taken, and a lookalike in a third script", async () => {
    const { ascii, cyrillic, latinAlpha } = emailWithLookalikes();
    const owner = await created({ email: cyrillic });
    expect(await fieldErrorCodes(await createRaw({ email: ascii }))).toEqual({ "user.email": ["[duplicate]user.email"] });
    expect(await fieldErrorCodes(await createRaw({ email: latinAlpha }))).toEqual({ "user.email": ["[duplicate]user.email"] });
    // The owner logs in with its own spelling only: the ASCII spelling is nobody's login id.
    expect((await jsonBody(await login(cyrillic, PASSWORD))).user.id).toBe(owner.id);
    expect((await login(ascii, PASSWORD)).status).toBe(404);
    expect((await call("GET", `/api/user?email=${encodeURIComponent(ascii)}`)).status).toBe(404);
  });

  it("frees the skeleton with the lookalike: deleting its user, or changing its email, lets the ASCII id be taken", async () => {
    const first = emailWithLookalikes();
    const deleted = await created({ email: first.cyrillic });
    expect((await call("DELETE", `/api/user/${deleted.id}`)).status).toBe(200);
    expect((await created({ email: first.ascii })).email).toBe(first.ascii);

    const second = emailWithLookalikes();
    const moved = await created({ email: second.cyrillic });
    const patched = await call("PATCH", `/api/user/${moved.id}`, { body: { user: { email: `moved-${crypto.randomUUID()}@example.com` } } });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect((await created({ email: second.ascii })).email).toBe(second.ascii);
  });

  it("lets a user change its email to the ASCII id its lookalike imitated, then log in with it, and keeps the lookalike refused", async () => {
    const { ascii, cyrillic, latinAlpha } = emailWithLookalikes();
    const owner = await created({ email: cyrillic });
    const patched = await call("PATCH", `/api/user/${owner.id}`, { body: { user: { email: ascii } } });
    expect(patched.status, await patched.clone().text()).toBe(200);
    expect((await jsonBody(await login(ascii, PASSWORD))).user.id).toBe(owner.id);
    expect((await login(cyrillic, PASSWORD)).status).toBe(404);
    expect(await fieldErrorCodes(await createRaw({ email: latinAlpha }))).toEqual({ "user.email": ["[duplicate]user.email"] });
  });

  it("lets exactly one of concurrent creates with lookalikes in three scripts win", async () => {
    const { ascii, cyrillic, latinAlpha } = emailWithLookalikes();
    const responses = await Promise.all([ascii, cyrillic, latinAlpha].map((email) => createRaw({ email })));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    for (const response of responses.filter((response) => response.status !== 200))
      expect(await fieldErrorCodes(response)).toEqual({ "user.email": ["[duplicate]user.email"] });
  });
});

describe("an email's final dot", () => {
  it("makes user@example.com. the login id of user@example.com: a duplicate, and a login as its owner", async () => {
    const email = `dot-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const owner = await created({ email });
    expect(await fieldErrorCodes(await createRaw({ email: `${email}.` }))).toEqual({ "user.email": ["[duplicate]user.email"] });
    expect((await jsonBody(await login(`${email}.`, PASSWORD))).user.id).toBe(owner.id);
    const dotted = await created({ email: `dotted-${email}.` });
    expect(dotted.email).toBe(`dotted-${email}.`);
    expect((await jsonBody(await login(`dotted-${email}`, PASSWORD))).user.id).toBe(dotted.id);
  });
});

describe("lookalike emails in an import", () => {
  const HASH = "wrcOrDos+nm4KqL88/xsQSeRSMP8M1uK0bICREFUjh4=";
  const SALT = "ZnVzaW9uYXV0aC1pbXBvcnQtc2FsdC0wMTIzNDU2Nzg5";
  const exported = (email: string) => ({ email, password: HASH, salt: SALT, factor: 24000, encryptionScheme: "salted-pbkdf2-hmac-sha256" });
  const importUsers = (users: unknown[]) => call("POST", "/api/user/import", { body: { users } });

  it("reports a lookalike within the request as [duplicate]users.N.email and imports nothing", async () => {
    const { email, variants } = emailWithVariants();
    const response = await importUsers([exported(email), ...variants.map(([, variant]) => exported(variant))]);
    const codes = await fieldErrorCodes(response);
    expect(codes).toEqual(Object.fromEntries(variants.map((_, index) => [`users.${index + 1}.email`, [`[duplicate]users.${index + 1}.email`]])));
    expect((await call("GET", `/api/user?email=${encodeURIComponent(email)}`)).status).toBe(404);
  });

  it("reports lookalikes across scripts within the request, and of a stored user, as [duplicate]users.N.email", async () => {
    const within = emailWithLookalikes();
    const codes = await fieldErrorCodes(await importUsers([exported(within.ascii), exported(within.cyrillic), exported(within.latinAlpha)]));
    expect(codes).toEqual({ "users.1.email": ["[duplicate]users.1.email"], "users.2.email": ["[duplicate]users.2.email"] });
    const stored = emailWithLookalikes();
    await created({ email: stored.ascii });
    expect(await fieldErrorCodes(await importUsers([exported(stored.cyrillic)]))).toEqual({ "users.0.email": ["[duplicate]users.0.email"] });
  });

  it("reports a lookalike of a stored user as [duplicate]users.N.email", async () => {
    const { email, variants } = emailWithVariants();
    await created({ email });
    const response = await importUsers([exported(`fresh-${crypto.randomUUID()}@example.com`), exported(variants[1]![1])]);
    expect(await fieldErrorCodes(response)).toEqual({ "users.1.email": ["[duplicate]users.1.email"] });
  });
});
