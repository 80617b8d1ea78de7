// The local outbox (EMAIL_LOCAL_OUTBOX, `npm start` only): the last OUTBOX_SIZE messages the
// `send_email` binding took, newest last, in one KV document. A read-modify-write without a lock:
// two messages sent in the same instant may keep only one, which a developer's machine can afford.
const KEY = "v1:email-outbox";

const OUTBOX_SIZE = 20;

export type OutboxMessage = { to: string; subject: string; text: string; html: string; sentAt: number };

export async function readOutbox(env: Env): Promise<OutboxMessage[]> {
  return (await env.KV.get<OutboxMessage[]>(KEY, "json")) ?? [];
}

export async function keepInOutbox(env: Env, message: OutboxMessage): Promise<void> {
  const messages = await readOutbox(env);
  await env.KV.put(KEY, JSON.stringify([...messages, message].slice(-OUTBOX_SIZE)));
}
