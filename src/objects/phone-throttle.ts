// One object per destination phone number: SMS sends to it are capped per hour, and repeated sends
// for one purpose (an enrolment, a user, one login challenge) are spaced, so neither a
// user nor an attacker can turn the service into an SMS cannon. Different purposes are not spaced
// against each other: the tutorial's enrolment text and the next login's text come seconds apart.
import { DurableObject } from "cloudflare:workers";
import { readConfig } from "../domain/config";

export type SendPermit = { allowed: true } | { allowed: false; retryAfterSeconds: number };

type Send = { at: number; purpose: string };

const HOUR_MS = 3_600_000;

export class PhoneThrottle extends DurableObject<Env> {
  /** Takes a send slot for `purpose` when one is free. */
  acquire(nowMs: number, purpose: string): SendPermit {
    const { minIntervalSeconds, maxPerPhonePerHour } = readConfig(this.env).sms;
    const recent = (this.ctx.storage.kv.get<Send[]>("sends") ?? []).filter((send) => send.at > nowMs - HOUR_MS);
    const lastForPurpose = recent.findLast((send) => send.purpose === purpose);
    const waits = [
      lastForPurpose ? lastForPurpose.at + minIntervalSeconds * 1000 - nowMs : 0,
      recent.length >= maxPerPhonePerHour ? recent[recent.length - maxPerPhonePerHour]!.at + HOUR_MS - nowMs : 0,
    ];
    const waitMs = Math.max(...waits);
    if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    this.ctx.storage.kv.put("sends", [...recent, { at: nowMs, purpose }]);
    return { allowed: true };
  }
}

export function phoneThrottle(env: Env, phone: string) {
  return env.PHONE_THROTTLE.get(env.PHONE_THROTTLE.idFromName(phone));
}
