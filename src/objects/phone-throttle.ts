// SMS sends per destination phone number: capped per hour, and repeated sends for one purpose (an
// enrolment, a user, one login) are spaced, so neither a user nor an attacker can turn the service
// into an SMS cannon. Different purposes are not spaced against each other: the tutorial's enrolment
// text and the next login's text come seconds apart. The numbers are spread over a fixed set of
// objects by a hash of the number: each object stays warm and none is hot, and texting a number
// never first has to create an object for it.
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../domain/config";
import { sha256Hex } from "../domain/compare";

export type SendPermit = { allowed: true } | { allowed: false; retryAfterSeconds: number };

type Send = { at: number; purpose: string };

const HOUR_MS = 3_600_000;
const SHARDS = 256;
const SENDS = "sends:";

export class PhoneThrottle extends DurableObject<Env> {
  /** Takes a send slot to `phone` (E.164) for `purpose` when one is free. */
  async acquire(phone: string, nowMs: number, purpose: string): Promise<SendPermit> {
    const { minIntervalSeconds, maxPerPhonePerHour } = readConfig(this.env).sms;
    const recent = (this.ctx.storage.kv.get<Send[]>(SENDS + phone) ?? []).filter((send) => send.at > nowMs - HOUR_MS);
    const lastForPurpose = recent.findLast((send) => send.purpose === purpose);
    const waits = [
      lastForPurpose ? lastForPurpose.at + minIntervalSeconds * 1000 - nowMs : 0,
      recent.length >= maxPerPhonePerHour ? recent[recent.length - maxPerPhonePerHour]!.at + HOUR_MS - nowMs : 0,
    ];
    const waitMs = Math.max(...waits);
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    this.ctx.storage.kv.put(SENDS + phone, [...recent, { at: nowMs, purpose }]);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nowMs + HOUR_MS);
    return { allowed: true };
  }

  /** Forgets the numbers whose sends are all older than an hour. */
  async alarm(): Promise<void> {
    const now = Date.now();
    let left = false;
    for (const [key, sends] of this.ctx.storage.kv.list<Send[]>({ prefix: SENDS })) {
      if (sends.every((send) => send.at <= now - HOUR_MS)) this.ctx.storage.kv.delete(key);
      else left = true;
    }
    if (left) await this.ctx.storage.setAlarm(now + HOUR_MS);
  }
}

/** The object that throttles `phone`. */
export async function phoneThrottle(env: Env, phone: string) {
  const shard = parseInt((await sha256Hex(phone)).slice(0, 8), 16) % SHARDS;
  return env.PHONE_THROTTLE.get(env.PHONE_THROTTLE.idFromName(`shard:${shard}`));
}
