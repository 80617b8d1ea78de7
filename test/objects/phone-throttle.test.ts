// The phone throttle's clean-up alarm: set by the first count, gone once nothing is left to forget,
// and set again by the next count (the object remembers whether one is set, so a send does not ask
// storage each time).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { rangeShard, type Send } from "../../src/objects/phone-throttle";

const HOUR_MS = 3_600_000;
const limits = { minIntervalSeconds: 30, maxPerPhonePerHour: 10, maxPerRangePerHour: 30, maxPerCountryPerHour: 1000, maxPerHour: 1000 };

afterEach(() => void vi.useRealTimers());

describe("PhoneThrottle clean-up", () => {
  it("sets its alarm with the first send, forgets everything once it is stale, and sets the alarm again for the next send", async () => {
    const range = "+1415555012";
    const { throttle, shard } = await rangeShard(env, range);
    const send = (): Send => ({ phone: `${range}3`, range, country: "US", purpose: "enrolment", nowMs: Date.now(), shard, limits });
    const keys = () => runInDurableObject(throttle, (_instance, state) => [...state.storage.kv.list()].map(([key]) => key));
    const alarm = () => runInDurableObject(throttle, (_instance, state) => state.storage.getAlarm());
    vi.useFakeTimers({ toFake: ["Date"] });

    expect(await throttle.acquire(send())).toEqual({ allowed: true });
    expect(await keys()).toEqual([expect.stringMatching(/^hour:/), `range:${range}`, `sends:${range}3`]);
    expect(await alarm()).toBe(Date.now() + HOUR_MS);

    // Past the 48 hours the hourly figures are kept, the alarm forgets everything and does not come back.
    vi.setSystemTime(Date.now() + 49 * HOUR_MS);
    expect(await runDurableObjectAlarm(throttle)).toBe(true);
    expect(await keys()).toEqual([]);
    expect(await alarm()).toBeNull();

    expect(await throttle.acquire(send())).toEqual({ allowed: true });
    expect(await alarm()).toBe(Date.now() + HOUR_MS);
  });
});
