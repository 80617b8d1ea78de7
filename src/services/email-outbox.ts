// The local outbox for developers (EMAIL_LOCAL_OUTBOX, set by `npm start`): the last messages the
// simulated `send_email` binding took, so a code can be read without a mailbox. Not found when the
// var is off, as it is when deployed.
import { fail } from "../domain/failures";
import { readOutbox, type OutboxMessage } from "../kv/email-outbox";
import type { Scope } from "./shared/scope";

/** The kept messages, oldest first; only those to `to` (compared without case) when given. */
export async function emailOutbox({ env }: Scope, to: string | undefined): Promise<OutboxMessage[]> {
  if (env.EMAIL_LOCAL_OUTBOX !== "true") throw fail({ kind: "not-found" });
  const messages = await readOutbox(env);
  return to === undefined ? messages : messages.filter((message) => message.to.toLowerCase() === to.toLowerCase());
}
