// One object per destination phone number: SMS sends to it are spaced and capped (SPEC §4), so
// neither a user nor an attacker with an API key can turn the service into an SMS cannon.
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../domain/config";

export type SendPermit = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const HOUR_MS = 3_600_000;

export class PhoneThrottle extends DurableObject<Env> {
  /** Takes a send slot when one is free. */
  acquire(nowMs: number): SendPermit {
    const { minIntervalSeconds, maxPerPhonePerHour } = readConfig(this.env).sms;
    const recent = (this.ctx.storage.kv.get<number[]>("sends") ?? []).filter((at) => at > nowMs - HOUR_MS);
    const last = recent.at(-1);
    const waits = [
      last !== undefined ? last + minIntervalSeconds * 1000 - nowMs : 0,
      recent.length >= maxPerPhonePerHour ? recent[recent.length - maxPerPhonePerHour]! + HOUR_MS - nowMs : 0,
    ];
    const waitMs = Math.max(...waits);
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    this.ctx.storage.kv.put("sends", [...recent, nowMs]);
    return { allowed: true };
  }
}

export function phoneThrottle(env: Env, phone: string) {
  return env.PHONE_THROTTLE.get(env.PHONE_THROTTLE.idFromName(phone));
}
