// Key rotation (docs/operations.md, "Rotating ENCRYPTION_KEY"): after a key is prepended to
// ENCRYPTION_KEY, each user's object re-seals its secrets when it next starts; the sweep makes sure
// every user does, one page of users per queue message, a second apart, and re-seals the webhooks'
// and integrations' secrets as it starts. The report says what still needs each old key.
import { keyIdsOf } from "../crypto/keyring";
import { randomId } from "../crypto/random";
import { afterPage, newSweep, sweepToRun, type KeyCounts, type Sweep } from "../domain/key-rotation";
import { integrationKeyCounts, resealIntegrations } from "../kv/integrations";
import { readSweep, writeSweep } from "../kv/key-rotation";
import { userReplicas } from "../kv/users";
import { readWebhooks, resealWebhooks, webhookKeyCounts } from "../kv/webhooks";
import { userGuard } from "../objects/user-guard";

/** The queue the sweep's pages travel on, as in wrangler.toml. */
export const KEY_ROTATION_QUEUE = "legacy-two-factor-key-rotation";

/** Users per page, and how many of their objects are asked at once: a page stays well within a consumer's limits. */
const PAGE_SIZE = 50;
const PARALLEL = 5;
/** The pause between pages, so a sweep over many users never crowds the logins it runs beside. */
const PAGE_DELAY_SECONDS = 1;

/** A queue message: the sweep as of the page it asks for (`cursor`), so a retried message redoes that page only. */
export type SweepMessage = { sweep: Sweep };

const currentKeyId = (env: Env) => keyIdsOf(env.ENCRYPTION_KEY)[0]!;

/** Starts a sweep under the current key (one that runs is replaced): re-seals the webhooks' and integrations' secrets, then queues the first page. */
async function startSweep(env: Env, nowMs: number): Promise<Sweep> {
  await Promise.all([resealWebhooks(env.KV, env.ENCRYPTION_KEY), resealIntegrations(env)]);
  const sweep = newSweep(randomId(), currentKeyId(env), nowMs);
  await writeSweep(env.KV, sweep);
  await env.KEY_ROTATION.send({ sweep } satisfies SweepMessage, { contentType: "json" });
  return sweep;
}

/** A sweep started at the operator's request (replacing one that runs), and the report as it starts. */
export async function sweepNow(env: Env, nowMs: number): Promise<KeyRotationReport> {
  await startSweep(env, nowMs);
  return keyRotationReport(env);
}

/** The scheduled check: starts a sweep when the current key has none, resumes one that stalled. */
export async function checkSweep(env: Env, nowMs: number): Promise<void> {
  const stored = await readSweep(env.KV);
  const action = sweepToRun(stored, currentKeyId(env), nowMs);
  if (action === "start") await startSweep(env, nowMs);
  if (action === "resume") await env.KEY_ROTATION.send({ sweep: stored! } satisfies SweepMessage, { contentType: "json" });
}

/** One page: each user's object re-seals and answers its keys; the tallies go on in the next page's message. */
async function sweepPage(env: Env, { sweep }: SweepMessage, nowMs: number): Promise<void> {
  if (sweep.keyId !== currentKeyId(env)) return; // a key was prepended since: the scheduled check starts a sweep for it
  const stored = await readSweep(env.KV);
  if (stored && stored.id !== sweep.id && stored.startedAt >= sweep.startedAt) return; // a newer sweep replaced this one
  const page = await userReplicas(env.KV).ids(sweep.cursor || null, PAGE_SIZE);
  const usages = [];
  for (let start = 0; start < page.ids.length; start += PARALLEL) {
    usages.push(...(await Promise.all(page.ids.slice(start, start + PARALLEL).map((userId) => userGuard(env, userId).rotateKeys()))));
  }
  const next = afterPage(sweep, usages, page.cursor, nowMs);
  await writeSweep(env.KV, next);
  if (next.cursor !== null) await env.KEY_ROTATION.send({ sweep: next } satisfies SweepMessage, { contentType: "json", delaySeconds: PAGE_DELAY_SECONDS });
  else console.log(JSON.stringify({ event: "key-rotation.swept", keyId: next.keyId, users: next.swept, oldKeyUsers: next.users }));
}

/** The queue consumer: pages one at a time; a page that fails is retried by the queue. */
export async function consumeSweep(batch: MessageBatch<SweepMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    await sweepPage(env, message.body, Date.now());
    message.ack();
  }
}

/** What still uses one old key: users (as the sweep under the current key found them; null before one ran), webhooks, stored integration secrets. */
export type OldKeyUse = { inSetting: boolean; users: number | null; webhooks: number; integrationSecrets: number };

export type SweepProgress = Pick<Sweep, "keyId" | "startedAt" | "updatedAt" | "finishedAt" | "swept"> & { state: "running" | "finished" };

export type KeyRotationReport = {
  currentKeyId: string;
  keyIds: string[];
  sweep: SweepProgress | null;
  oldKeys: Record<string, OldKeyUse>;
  /** Users whose recovery codes were kept as HMACs before codes were sealed: see docs/operations.md. */
  hmacRecoveryCodeUsers: number | null;
};

export async function keyRotationReport(env: Env): Promise<KeyRotationReport> {
  const keyIds = keyIdsOf(env.ENCRYPTION_KEY);
  const current = keyIds[0]!;
  const [stored, webhooks, integrations] = await Promise.all([readSweep(env.KV), readWebhooks(env.KV).then(webhookKeyCounts), integrationKeyCounts(env)]);
  const sweep = stored?.keyId === current ? stored : null;
  const users: KeyCounts = sweep?.users ?? {};
  const named = new Set([...keyIds.slice(1), ...Object.keys(users), ...Object.keys(webhooks), ...Object.keys(integrations)]);
  named.delete(current);
  const oldKeys = Object.fromEntries(
    [...named].map((keyId) => [
      keyId,
      {
        inSetting: keyIds.includes(keyId),
        users: sweep ? (users[keyId] ?? 0) : null,
        webhooks: webhooks[keyId] ?? 0,
        integrationSecrets: integrations[keyId] ?? 0,
      },
    ]),
  );
  const progress: SweepProgress | null = sweep && {
    state: sweep.cursor === null ? "finished" : "running",
    keyId: sweep.keyId,
    startedAt: sweep.startedAt,
    updatedAt: sweep.updatedAt,
    ...(sweep.finishedAt !== undefined && { finishedAt: sweep.finishedAt }),
    swept: sweep.swept,
  };
  return { currentKeyId: current, keyIds, sweep: progress, oldKeys, hmacRecoveryCodeUsers: sweep ? sweep.hmacRecoveryCodeUsers : null };
}
