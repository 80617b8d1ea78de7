// Sending a code that the user's object reserved, by the channel of its destination: a text through
// Twilio (./sms.ts) or an email (./email.ts). Each checks its own limits and settings first and gives
// the reservation back when the message does not go out.
import type { TextClient } from "../../domain/sms-guard";
import type { CodeToSend } from "../../objects/user/results";
import { mailCode, requireEmail } from "./email";
import type { Scope } from "./scope";
import { requireTwilio, textCode } from "./sms";

export type Delivery = {
  /** What the code is for (`enable:<userId>`, `user:<userId>`, `login:<userId>`): sends for one purpose to one address are spaced. */
  purpose: string;
  /** Names a phone in errors: `mobilePhone` or `user.mobilePhone`. */
  phoneField: string;
  /** How long the code stays acceptable, as the email says. */
  lifetimeSeconds: number;
  /** Who asked for it, for the per-client caps. */
  client: TextClient;
};

/** The channel's settings, or a clear 400 before any code is made (a send whose channel is known up front). */
export const requireChannel = (env: Env, method: CodeToSend["to"]["method"]) => (method === "sms" ? requireTwilio(env) : requireEmail(env));

/** Sends `send`; `release` gives its reservation back when it does not go out (see textCode). */
export async function deliverCode(scope: Scope, send: CodeToSend, delivery: Delivery, release: (withdrawCode: boolean) => Promise<void>): Promise<void> {
  const { to, code } = send;
  const { purpose, client } = delivery;
  const giveBack = async (error: unknown): Promise<never> => {
    await release(true);
    throw error;
  };
  if (to.method === "sms") {
    const twilio = await requireTwilio(scope.env).catch(giveBack);
    await textCode(scope, twilio, { phone: to.address, code, phoneField: delivery.phoneField, purpose, client }, release);
  } else {
    const settings = await requireEmail(scope.env).catch(giveBack);
    await mailCode(scope, settings, { email: to.address, code, purpose, client, lifetimeSeconds: delivery.lifetimeSeconds }, release);
  }
}
