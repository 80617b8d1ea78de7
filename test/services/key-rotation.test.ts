// Rotating ENCRYPTION_KEY end to end. The suites run with two keys, `k2` (first: it seals) and `k1`;
// values stored "before the rotation" are made here by sealing them again under `k1` alone. A user's
// next touch re-seals their secrets; the sweep re-seals every user, the webhooks and the integration
// secrets; the report counts what still needs `k1`; and afterwards `k2` alone opens everything.
import { abortAllDurableObjects, createExecutionContext, createMessageBatch, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { decrypt, encrypt } from "../../src/crypto/keyring";
import { oneTimeCodeHash } from "../../src/crypto/one-time-codes";
import { sealTwoFactorId } from "../../src/crypto/two-factor-id";
import { newSweep, sealedKeyId, STALLED_SWEEP_MS, type Sweep } from "../../src/domain/key-rotation";
import { recoveryCodeContext, secretContext } from "../../src/domain/user";
import worker from "../../src/index";
import { KEY_ROTATION_QUEUE, type SweepMessage } from "../../src/services/key-rotation";
import { call, codeFor, createTwoFactorUser, jsonBody, login, twoFactorLogin } from "../helpers";
import { challengeOf, editAccount, editStoredWebhooks, kvKeys, readAccount, storedWebhooks } from "../storage";
import { DEFAULT_AUTH_TOKEN } from "../fake-twilio/handler";
import { configureTwilio } from "../twilio-fake";

afterEach(() => {
  vi.restoreAllMocks();
});

const [CURRENT_ONLY, OLD_ONLY] = env.ENCRYPTION_KEY!.split(",") as [string, string];
const SMTP_PASSWORD = "smtp-password-0123";
/** The sealed secrets of the integrations document. */
type StoredIntegrations = { twilio: { authToken: string }; email: { password: string } };
/** A key the setting does not hold (removed too early). */
const MISSING = "k0:YGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn8=";

/** `value` sealed again under `setting`'s key. */
const sealAgain = async (value: string, context: string, setting: string) => encrypt(setting, await decrypt(env.ENCRYPTION_KEY, value, context), context);

/** Seals user `userId`'s authenticator keys and sealed recovery codes under `setting`'s key, as stored before a rotation; evicts the object. */
async function sealUserUnder(userId: string, setting: string): Promise<void> {
  const { user, guard } = await readAccount(userId);
  const secrets = await Promise.all(
    user.twoFactor.methods.map((method) => (method.method === "authenticator" ? sealAgain(method.secret, secretContext(userId), setting) : null)),
  );
  const codes = await Promise.all(guard.recoveryCodes.map((code) => (sealedKeyId(code) ? sealAgain(code, recoveryCodeContext(userId), setting) : code)));
  await editAccount(userId, (account) => {
    account.user.twoFactor.methods.forEach((method, index) => {
      if (method.method === "authenticator") method.secret = secrets[index]!;
    });
    account.guard.recoveryCodes = codes;
  });
}

/** Every sealed value of user `userId`'s account, by key id. */
async function keyIdsOfUser(userId: string): Promise<string[]> {
  const { user, guard } = await readAccount(userId);
  const values = [...user.twoFactor.methods.flatMap((method) => (method.method === "authenticator" ? [method.secret] : [])), ...guard.recoveryCodes];
  return values.map(sealedKeyId).filter((keyId): keyId is string => keyId !== null);
}

const report = async () => {
  const response = await call("GET", "/api/system/key-rotation");
  expect(response.status).toBe(200);
  return jsonBody(response);
};

/** Starts a sweep and waits until the queue has carried it through every page. */
async function sweep() {
  expect((await call("POST", "/api/system/key-rotation")).status).toBe(200);
  return vi.waitFor(
    async () => {
      const body = await report();
      expect(body.sweep.state).toBe("finished");
      return body;
    },
    { timeout: 15_000, interval: 200 },
  );
}

async function enableWithRecoveryCodes() {
  const user = await createTwoFactorUser();
  const response = await call("POST", `/api/user/two-factor/recovery-code/${user.id}`);
  expect(response.status).toBe(200);
  return { ...user, recoveryCodes: (await jsonBody<{ recoveryCodes: string[] }>(response)).recoveryCodes };
}

async function passwordStep(user: { email: string; password: string }): Promise<string> {
  const response = await login(user.email, user.password);
  expect(response.status).toBe(242);
  return (await jsonBody(response)).twoFactorId;
}

describe("a user's next touch", () => {
  it("re-seals their secrets under the first key, and they log in as before", async () => {
    const user = await enableWithRecoveryCodes();
    await sealUserUnder(user.id, OLD_ONLY);
    const twoFactorId = await passwordStep(user);
    expect((await twoFactorLogin({ twoFactorId, code: await codeFor(user.secret, 1) })).status).toBe(200);
    const keyIds = await keyIdsOfUser(user.id);
    expect(keyIds.length).toBeGreaterThan(0);
    expect(new Set(keyIds)).toEqual(new Set(["k2"]));
    // The old key can go: the first key alone opens the secret, and a recovery code still works.
    const { user: record } = await readAccount(user.id);
    const method = record.twoFactor.methods.find((candidate) => candidate.method === "authenticator")!;
    await expect(decrypt(CURRENT_ONLY, method.method === "authenticator" ? method.secret : "", secretContext(user.id))).resolves.toBeInstanceOf(Uint8Array);
    expect((await twoFactorLogin({ twoFactorId: await passwordStep(user), code: user.recoveryCodes[0] })).status).toBe(200);
  });

  /** A pending login (Start) whose code is kept as made under `setting`'s key, and its twoFactorId made under it too. */
  async function startedUnder(setting: string) {
    const user = await createTwoFactorUser();
    const started = await jsonBody(await call("POST", "/api/two-factor/start", { body: { userId: user.id } }));
    const { key } = await challengeOf(started.twoFactorId);
    const hash = await oneTimeCodeHash(setting, user.id, started.code);
    await editAccount(user.id, (account) => {
      account.guard.challenges[key]!.otp = { hash };
    });
    return { twoFactorId: started.twoFactorId as string, idUnder: await sealTwoFactorId(setting, user.id, key), code: started.code as string };
  }

  it("a pending login, and the code sent for it, made under the old key still complete", async () => {
    const { twoFactorId, idUnder, code } = await startedUnder(OLD_ONLY);
    expect(idUnder).not.toBe(twoFactorId);
    expect((await twoFactorLogin({ twoFactorId: idUnder, code })).status).toBe(200);
  });

  it("a code that matches under no key of the setting is still refused", async () => {
    const started = await startedUnder(MISSING);
    expect((await twoFactorLogin({ twoFactorId: started.twoFactorId, code: started.code })).status).toBe(421);
    expect((await twoFactorLogin({ twoFactorId: started.idUnder, code: started.code })).status).toBe(404);
  });
});

describe("the sweep and the report", () => {
  it("re-seals every user, the webhooks and the integration secrets; then only the first key is needed", async () => {
    const users = [await enableWithRecoveryCodes(), await createTwoFactorUser(), await createTwoFactorUser()];
    const created = await call("POST", "/api/webhook", {
      body: {
        webhook: {
          url: "https://hooks.example.com/in",
          eventsEnabled: { "user.login.success": true },
          headers: { Authorization: "Bearer hook-secret" },
          signatureConfiguration: { enabled: true },
        },
      },
    });
    expect(created.status).toBe(200);
    expect((await configureTwilio()).status).toBe(200);
    const smtp = {
      enabled: true,
      transport: "smtp",
      host: "127.0.0.1",
      port: 2525,
      security: "NONE",
      username: "mailer",
      password: SMTP_PASSWORD,
      defaultFromEmail: "two-factor@example.com",
    };
    expect((await call("PATCH", "/api/integration", { body: { integrations: { email: smtp } } })).status).toBe(200);

    for (const user of users) await sealUserUnder(user.id, OLD_ONLY);
    const webhooks = await storedWebhooks();
    const aged = await Promise.all(
      webhooks.map(async (webhook) => ({
        sealedSigningKey: await sealAgain(webhook.sealedSigningKey, `webhooks.${webhook.id}.signingKey`, OLD_ONLY),
        sealedHeaders: Object.fromEntries(
          await Promise.all(
            Object.entries(webhook.sealedHeaders!).map(async ([name, value]) => [
              name,
              await sealAgain(value, `webhooks.${webhook.id}.headers.${name}`, OLD_ONLY),
            ]),
          ),
        ),
      })),
    );
    await editStoredWebhooks((list) => list.forEach((webhook, index) => Object.assign(webhook, aged[index])));
    const integrations = (await env.KV.get<StoredIntegrations>(kvKeys.integrations, "json"))!;
    integrations.twilio.authToken = await sealAgain(integrations.twilio.authToken, "integrations.twilio.authToken", OLD_ONLY);
    integrations.email.password = await sealAgain(integrations.email.password, "integrations.email.password", OLD_ONLY);
    await env.KV.put(kvKeys.integrations, JSON.stringify(integrations));

    const before = await report();
    expect(before).toMatchObject({ currentKeyId: "k2", keyIds: ["k2", "k1"], sweep: null, hmacRecoveryCodeUsers: null });
    expect(before.oldKeys.k1).toEqual({ inSetting: true, users: null, webhooks: 1, integrationSecrets: 2 });

    const after = await sweep();
    const replicas = await env.KV.list({ prefix: kvKeys.userPrefix });
    expect(after.sweep).toMatchObject({ keyId: "k2", swept: replicas.keys.length });
    expect(replicas.keys.length).toBeGreaterThanOrEqual(users.length);
    expect(after.oldKeys.k1).toEqual({ inSetting: true, users: 0, webhooks: 0, integrationSecrets: 0 });
    expect(after.hmacRecoveryCodeUsers).toBe(0);

    // With k1 removed, everything opens.
    for (const user of users) expect(new Set(await keyIdsOfUser(user.id))).toEqual(new Set(["k2"]));
    const [webhook] = await storedWebhooks();
    await expect(decrypt(CURRENT_ONLY, webhook!.sealedSigningKey, `webhooks.${webhook!.id}.signingKey`)).resolves.toBeInstanceOf(Uint8Array);
    await expect(decrypt(CURRENT_ONLY, webhook!.sealedHeaders!.Authorization!, `webhooks.${webhook!.id}.headers.Authorization`)).resolves.toBeInstanceOf(
      Uint8Array,
    );
    const stored = (await env.KV.get<StoredIntegrations>(kvKeys.integrations, "json"))!;
    expect(new TextDecoder().decode(await decrypt(CURRENT_ONLY, stored.twilio.authToken, "integrations.twilio.authToken"))).toBe(DEFAULT_AUTH_TOKEN);
    expect(new TextDecoder().decode(await decrypt(CURRENT_ONLY, stored.email.password, "integrations.email.password"))).toBe(SMTP_PASSWORD);
    await abortAllDurableObjects();
    for (const user of users) expect((await twoFactorLogin({ twoFactorId: await passwordStep(user), code: await codeFor(user.secret, 1) })).status).toBe(200);
  });

  it("a value sealed under a key the setting no longer holds is counted under that key, and kept", async () => {
    const user = await createTwoFactorUser();
    await sealUserUnder(user.id, MISSING);
    const after = await sweep();
    expect(after.oldKeys.k0).toEqual({ inSetting: false, users: 1, webhooks: 0, integrationSecrets: 0 });
    expect(await keyIdsOfUser(user.id)).toEqual(["k0"]);
  });

  it("counts apart the users whose recovery codes are kept as HMACs, which cannot be re-sealed", async () => {
    const user = await createTwoFactorUser();
    const hmac = "dGhpcyBzdGFuZHMgZm9yIGFuIEhNQUMtU0hBMjU2IG9mIGEgY29kZQ"; // a code's stored form before codes were sealed
    await editAccount(user.id, (account) => {
      account.guard.recoveryCodes = [hmac];
    });
    const after = await sweep();
    expect(after.hmacRecoveryCodeUsers).toBe(1);
    expect((await readAccount(user.id)).guard.recoveryCodes).toEqual([hmac]);
  });

  it("needs an API key", async () => {
    expect((await call("GET", "/api/system/key-rotation", { apiKey: null })).status).toBe(401);
    expect((await call("POST", "/api/system/key-rotation", { apiKey: null })).status).toBe(401);
  });
});

describe("a page of a sweep", () => {
  const consume = async (sweep: Sweep) => {
    const batch = createMessageBatch<SweepMessage>(KEY_ROTATION_QUEUE, [{ id: "page", timestamp: new Date(), attempts: 1, body: { sweep } }]);
    await worker.queue(batch, env);
  };

  it("is dropped when a newer sweep replaced its own, or when its key is no longer the first", async () => {
    const send = vi.spyOn(env.KEY_ROTATION, "send");
    const listed = vi.spyOn(env.KV, "list");
    const older = { ...newSweep("older", "k2", 1_000), cursor: "" };
    await env.KV.put(kvKeys.keyRotation, JSON.stringify(newSweep("newer", "k2", 2_000)));
    await consume(older);
    await consume(newSweep("for-k1", "k1", 3_000));
    expect(listed).not.toHaveBeenCalled(); // no page of users was read
    expect(send).not.toHaveBeenCalled();
  });
});

describe("the scheduled check", () => {
  const scheduled = async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
  };
  const storedSweep = async () => (await env.KV.get<Sweep>(kvKeys.keyRotation, "json"))!;

  it("starts a sweep when the first key has none, and then leaves it be", async () => {
    await env.KV.delete(kvKeys.keyRotation);
    const send = vi.spyOn(env.KEY_ROTATION, "send");
    await scheduled();
    expect((await storedSweep()).keyId).toBe("k2");
    expect(send).toHaveBeenCalledTimes(1);
    await scheduled();
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("resumes a sweep that stopped moving, from where it stopped", async () => {
    const stalled: Sweep = {
      id: "s1",
      keyId: "k2",
      startedAt: 0,
      updatedAt: Date.now() - STALLED_SWEEP_MS,
      cursor: "next-page",
      swept: 50,
      users: {},
      hmacRecoveryCodeUsers: 0,
    };
    await env.KV.put(kvKeys.keyRotation, JSON.stringify(stalled));
    const send = vi.spyOn(env.KEY_ROTATION, "send").mockResolvedValue({} as QueueSendResponse); // held: no page runs
    await scheduled();
    expect(send).toHaveBeenCalledWith({ sweep: stalled }, { contentType: "json" });
  });
});
