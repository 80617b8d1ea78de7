// Recovery codes (FusionAuth 1.26+ shape) and the complete admin reset: a user who lost their phone
// logs in with one code and disables 2FA with another; used codes never work again; a user's own
// JWT generates codes only with a fresh code of their 2FA; turning 2FA off through the User API
// leaves nothing of the old enrolment usable.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  accessToken,
  call,
  codeFor,
  createTwoFactorUserWithoutCode,
  createUser,
  jsonBody,
  login,
  newSecret,
  startTwoFactorLogin,
  trustedLogin,
  twoFactorLogin,
  wrongCode,
} from "../helpers";
import { editAccount, readAccount } from "../storage";
import { configureTwilio, installFakeTwilio, lastCodeTo } from "../twilio-fake";
import { env } from "cloudflare:workers";
import { derivedKey } from "../../src/crypto/keyring";
import { sealedKeyId } from "../../src/domain/key-rotation";
import { encodeBase64Url } from "../../src/domain/encoding";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Crockford's Base32: no I, L, O or U. */
const RECOVERY_CODE = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

async function generate(userId: string): Promise<string[]> {
  const response = await call("POST", `/api/user/two-factor/recovery-code/${userId}`);
  expect(response.status).toBe(200);
  return (await jsonBody<{ recoveryCodes: string[] }>(response)).recoveryCodes;
}

/**
 * A code's stored form before codes were sealed: HMAC-SHA256 under a key derived from what was then
 * ENCRYPTION_KEY's first key, here the suites' second (`k1`), as if `k2` was prepended since.
 */
async function legacyEntry(userId: string, folded: string): Promise<string> {
  const key = await derivedKey(env.ENCRYPTION_KEY!.split(",")[1], "legacy-two-factor: recovery codes", { name: "HMAC", hash: "SHA-256", length: 256 }, [
    "sign",
  ]);
  return encodeBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${userId}:${folded}`))));
}

const remaining = async (userId: string) => (await jsonBody(await call("GET", `/api/user/${userId}`))).user.twoFactorRecoveryCodesRemaining;

describe("generating recovery codes", () => {
  it("answers ten distinct 50-bit codes, shown once, stored only as hashes sealed under the current key", async () => {
    const user = await createTwoFactorUserWithoutCode();
    expect(await remaining(user.id)).toBe(0);
    const codes = await generate(user.id);
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(RECOVERY_CODE);
    expect(new Set(codes).size).toBe(10);
    expect(await remaining(user.id)).toBe(10);
    const entries = (await readAccount(user.id)).guard.recoveryCodes;
    expect(entries.map(sealedKeyId)).toEqual(Array(10).fill("k2"));
    const stored = JSON.stringify(await readAccount(user.id));
    for (const code of codes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace("-", ""));
    }
    expect(JSON.stringify(await jsonBody(await call("GET", `/api/user/${user.id}`)))).not.toContain(codes[0]!.slice(0, 5));
  });

  it("replaces the previous set on each call", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const [first] = await generate(user.id);
    const [second] = await generate(user.id);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: first })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: second })).status).toBe(200);
  });

  it("refuses a user without 2FA with a clear 400, an unknown user with 404, and no credentials with 401", async () => {
    const user = await createUser();
    const response = await call("POST", `/api/user/two-factor/recovery-code/${user.id}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ generalErrors: [{ code: "[TwoFactorNotEnabled]", message: expect.any(String) }] });
    expect((await call("POST", `/api/user/two-factor/recovery-code/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await call("POST", `/api/user/two-factor/recovery-code/${user.id}`, { apiKey: null })).status).toBe(401);
    expect((await call("POST", "/api/user/two-factor/recovery-code")).status).toBe(400); // an API key must name the user
  });

  it("lets a user generate their own with a JWT and a fresh code of their 2FA, which is then used up", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const secret = (await jsonBody(await call("GET", "/api/two-factor/secret"))).secret as string;
    expect((await call("POST", "/api/user/two-factor", { apiKey: `Bearer ${token}`, body: { code: await codeFor(secret), secret } })).status).toBe(200);
    const missing = await call("POST", "/api/user/two-factor/recovery-code", { apiKey: `Bearer ${token}` });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ fieldErrors: { code: [{ code: "[blank]code", message: expect.any(String) }] } });
    // The enable used the current step's code; the next step's is fresh.
    const code = await codeFor(secret, 1);
    const response = await call("POST", "/api/user/two-factor/recovery-code", { apiKey: `Bearer ${token}`, body: { code } });
    expect(response.status).toBe(200);
    const { recoveryCodes } = await jsonBody<{ recoveryCodes: string[] }>(response);
    expect(recoveryCodes).toHaveLength(10);
    expect(await remaining(user.id)).toBe(10);
    expect((await call("DELETE", `/api/user/two-factor?code=${code}`, { apiKey: `Bearer ${token}` })).status).toBe(421);
    // One of the codes proves the user too: it is used up, and a new set replaces the rest.
    const again = await call("POST", "/api/user/two-factor/recovery-code", { apiKey: `Bearer ${token}`, body: { code: recoveryCodes[0] } });
    expect(again.status).toBe(200);
    const fresh = (await jsonBody<{ recoveryCodes: string[] }>(again)).recoveryCodes;
    expect(fresh.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: recoveryCodes[1] })).status).toBe(421);
  });

  it("lets a TextMessage user generate their own with a JWT and the texted code", async () => {
    const fake = installFakeTwilio();
    expect((await configureTwilio()).status).toBe(200);
    const user = await createUser({ mobilePhone: "555-555-0301" });
    const token = await accessToken(user);
    const patched = await call("PATCH", `/api/user/${user.id}`, {
      body: { user: { twoFactorEnabled: true, twoFactorSecret: await newSecret(), twoFactorDelivery: "TextMessage" } },
    });
    expect(patched.status).toBe(200);
    expect((await call("POST", "/api/two-factor/send", { apiKey: `Bearer ${token}` })).status).toBe(200);
    const code = lastCodeTo(fake, "+15555550301");
    expect((await call("POST", "/api/user/two-factor/recovery-code", { apiKey: `Bearer ${token}`, body: { code } })).status).toBe(200);
    expect(await remaining(user.id)).toBe(10);
  });

  it("asks an API key for no code (the application is trusted), and checks one it sends", async () => {
    const user = await createTwoFactorUserWithoutCode();
    expect((await call("POST", `/api/user/two-factor/recovery-code/${user.id}`, { body: { code: await wrongCode(user.secret) } })).status).toBe(421);
    expect((await call("POST", `/api/user/two-factor/recovery-code/${user.id}`, { body: { code: await codeFor(user.secret) } })).status).toBe(200);
    expect((await call("POST", `/api/user/two-factor/recovery-code/${user.id}`, { body: {} })).status).toBe(200);
  });
});

describe("logging in with a recovery code", () => {
  it("completes the login once; the same code never works again", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const [code] = await generate(user.id);
    const first = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
    expect(first.status).toBe(200);
    expect((await jsonBody(first)).token).toEqual(expect.any(String));
    expect(await remaining(user.id)).toBe(9);
    const again = await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code });
    expect(again.status).toBe(421);
    // Not a TOTP code that was used: nothing says "wait for the next one".
    expect(again.headers.get("X-Two-Factor-Reason")).toBeNull();
  });

  it("reads letters people confuse with digits as those digits (O for 0; I or L for 1)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    // A set with a code holding a 0 and another holding a 1 (nine sets in ten are).
    let codes: string[], withZero: string | undefined, withOne: string | undefined;
    do {
      codes = await generate(user.id);
      withZero = codes.find((code) => code.includes("0"));
      withOne = codes.find((code) => code.includes("1") && code !== withZero);
    } while (!withZero || !withOne);
    for (const typed of [withZero.replaceAll("0", "O"), withOne.replaceAll("1", "l")]) {
      expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: typed })).status, typed).toBe(200);
    }
  });

  it("still accepts a code issued in RFC 4648's Base32 before, typed with lookalikes (Q1ZX0-F7VAC for QLZXO-F7VAC)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await generate(user.id);
    const entry = await legacyEntry(user.id, "QLZXOF7VAC");
    await editAccount(user.id, (account) => {
      account.guard.recoveryCodes = [entry];
    });
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "Q1ZX0-F7VAC" })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "QLZXO-F7VAC" })).status).toBe(421);
  });

  it("accepts a code stored as an HMAC before beside sealed ones, each once; a wrong code matches neither", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const [sealed] = await generate(user.id);
    const entry = await legacyEntry(user.id, "7K2QDM0XW9");
    await editAccount(user.id, (account) => {
      account.guard.recoveryCodes.push(entry);
    });
    expect((await readAccount(user.id)).guard.recoveryCodes).toHaveLength(11);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "7K2QD-M0XW8" })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "7k2qd-moxw9" })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "7K2QD-M0XW9" })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: sealed })).status).toBe(200);
    expect(await remaining(user.id)).toBe(9);
    expect((await readAccount(user.id)).guard.recoveryCodes).not.toContain(entry);
  });

  it("ignores case, width and separators", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const codes = await generate(user.id);
    const fullWidth = (text: string) => text.replace(/[A-Z0-9]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
    for (const typed of [
      codes[0]!.toLowerCase(),
      codes[1]!.replace("-", ""),
      ` ${codes[2]!.replace("-", " ")} `,
      fullWidth(codes[3]!),
      codes[4]!.replace("-", "–"),
    ]) {
      expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: typed })).status, typed).toBe(200);
    }
    expect(await remaining(user.id)).toBe(5);
  });

  it("lets exactly one of ten concurrent submissions of one code log in", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const [code] = await generate(user.id);
    const challenges: string[] = [];
    for (let i = 0; i < 10; i++) challenges.push(await startTwoFactorLogin(user));
    const statuses = (await Promise.all(challenges.map((twoFactorId) => twoFactorLogin({ twoFactorId, code })))).map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 421)).toHaveLength(9);
    expect(await remaining(user.id)).toBe(9);
  });

  it("counts a wrong recovery code toward the lockout like a wrong code", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await generate(user.id);
    for (const guess of ["AAAAA-AAAAA", "BBBBB-BBBBB", "CCCCC-CCCCC", "DDDDD-DDDDD", "EEEEE-EEEEE"]) {
      expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: guess })).status).toBe(421);
    }
    expect((await login(user.email, user.password)).status).toBe(409);
  });

  it("keeps the legacy code rules for anything else (a seven-digit code is just wrong)", async () => {
    const user = await createTwoFactorUserWithoutCode();
    await generate(user.id);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "1234567" })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: "" })).status).toBe(400);
  });
});

describe("disabling with a recovery code", () => {
  it("disables 2FA (API key, query form) and deletes the other codes", async () => {
    const user = await createTwoFactorUserWithoutCode();
    const codes = await generate(user.id);
    expect((await call("DELETE", `/api/user/two-factor/${user.id}?code=${encodeURIComponent(codes[0]!)}`)).status).toBe(200);
    const { user: after } = await jsonBody(await call("GET", `/api/user/${user.id}`));
    expect(after.twoFactorEnabled).toBe(false);
    expect(after.twoFactorRecoveryCodesRemaining).toBeUndefined();
    expect((await readAccount(user.id)).guard.recoveryCodes).toEqual([]);
    expect((await login(user.email, user.password)).status).toBe(200);
    // Enabled again, the old codes are gone for good.
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: user.secret } } })).status).toBe(200);
    expect((await twoFactorLogin({ twoFactorId: await startTwoFactorLogin(user), code: codes[1] })).status).toBe(421);
  });

  it("disables with a JWT and a recovery code", async () => {
    const user = await createUser();
    const token = await accessToken(user);
    const secret = (await jsonBody(await call("GET", "/api/two-factor/secret"))).secret as string;
    expect((await call("POST", "/api/user/two-factor", { apiKey: `Bearer ${token}`, body: { code: await codeFor(secret), secret } })).status).toBe(200);
    const [code] = await generate(user.id);
    expect((await call("DELETE", `/api/user/two-factor?code=${code}`, { apiKey: `Bearer ${token}` })).status).toBe(200);
    expect((await login(user.email, user.password)).status).toBe(200);
  });
});

describe("the admin reset (twoFactorEnabled: false through the User API)", () => {
  it("revokes the secret, pending logins, trust ids, recovery codes and texted codes in one step", async () => {
    const user = await createTwoFactorUserWithoutCode({ mobilePhone: "+15005550006" });
    const codes = await generate(user.id);
    const { trustId } = await trustedLogin(user);
    const pending = await startTwoFactorLogin(user);
    const oldCode = await codeFor(user.secret, 1);

    const reset = await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: false } } });
    expect(reset.status).toBe(200);
    const { guard, user: record } = await readAccount(user.id);
    expect(record.twoFactor.methods).toEqual([]);
    expect({ challenges: guard.challenges, trust: guard.trust, recoveryCodes: guard.recoveryCodes, smsCodes: guard.smsCodes }).toEqual({
      challenges: {},
      trust: {},
      recoveryCodes: [],
      smsCodes: [],
    });
    expect((await twoFactorLogin({ twoFactorId: pending, code: oldCode })).status).toBe(404);

    // Enrolled again with a new secret: nothing from before opens the account.
    const secret = (await jsonBody(await call("GET", "/api/two-factor/secret"))).secret as string;
    expect((await call("PATCH", `/api/user/${user.id}`, { body: { user: { twoFactorEnabled: true, twoFactorSecret: secret } } })).status).toBe(200);
    expect((await login(user.email, user.password, { twoFactorTrustId: trustId })).status).toBe(242);
    const twoFactorId = await startTwoFactorLogin(user);
    expect((await twoFactorLogin({ twoFactorId, code: codes[0] })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId, code: oldCode })).status).toBe(421);
    // (The trusted login used this step: the replay guard is the user's, whatever the secret.)
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(secret, 1) })).status).toBe(200);
  });
});
