// The phone throttle: a range shard's clean-up alarm (set by the first count, gone once nothing is
// left to forget, set again by the next count; the object remembers whether one is set, so a send
// does not ask storage each time), state left by an earlier key layout, and the budget object,
// which counts the hour's shared budgets exactly, whichever shards the texts' ranges fall in.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hourOf } from "../../src/domain/sms-guard";
import { budgetThrottle, rangeThrottle, type Send, type Spend } from "../../src/objects/phone-throttle";
import { objectKeys } from "../storage";
import { rangesInOneShard } from "../twilio-fake";

const HOUR_MS = 3_600_000;
const limits = { minIntervalSeconds: 30, maxPerRecipientPerHour: 10, maxPerGroupPerHour: 30 };
const budget = { maxPerClientPerHour: 500, maxPerBucketPerHour: 1000, maxPerHour: 1000 };

afterEach(() => void vi.useRealTimers());

const keysOf = (throttle: DurableObjectStub) => runInDurableObject(throttle, (_instance, state) => [...state.storage.kv.list()].map(([key]) => key));

describe("PhoneThrottle clean-up", () => {
  it("sets its alarm with the first send, forgets everything once it is stale, and sets the alarm again for the next send", async () => {
    const range = "+1415555012";
    const throttle = await rangeThrottle(env, range);
    const send = (): Send => ({ channel: "sms", recipient: `${range}3`, group: range, bucket: "US", purpose: "enrolment", nowMs: Date.now(), limits });
    const alarm = () => runInDurableObject(throttle, (_instance, state) => state.storage.getAlarm());
    vi.useFakeTimers({ toFake: ["Date"] });

    expect(await throttle.acquire(send())).toEqual({ allowed: true });
    expect(await keysOf(throttle)).toEqual([`range:${range}`, objectKeys.version, `sends:${range}3`]);
    expect(await alarm()).toBe(Date.now() + HOUR_MS);

    // Past the hour the sends are kept, the alarm forgets everything (the layout's version too: the object is new again) and does not come back.
    vi.setSystemTime(Date.now() + 2 * HOUR_MS);
    expect(await runDurableObjectAlarm(throttle)).toBe(true);
    expect(await keysOf(throttle)).toEqual([]);
    expect(await alarm()).toBeNull();

    expect(await throttle.acquire(send())).toEqual({ allowed: true });
    expect(await alarm()).toBe(Date.now() + HOUR_MS);
  });

  it("works on the state an earlier layout left in a shard (per-client counts, sent figures), and forgets it in time", async () => {
    const range = "+1415555013";
    const throttle = await rangeThrottle(env, range);
    vi.useFakeTimers({ toFake: ["Date"] });
    const hour = hourOf(Date.now());
    await runInDurableObject(throttle, (_instance, state) => {
      state.storage.kv.put(`ip:${hour}:198.51.100.9`, 30);
      state.storage.kv.put(`hour:${hour}`, { US: { sent: 62, refused: { budget: 3 } } });
    });

    const send: Send = { channel: "sms", recipient: `${range}4`, group: range, bucket: "US", purpose: "enrolment", nowMs: Date.now(), limits };
    expect(await throttle.acquire(send)).toEqual({ allowed: true });
    expect(await throttle.figures(hour, hour)).toEqual([{ interval: hour, country: "US", sent: 62, refused: { budget: 3 } }]);

    vi.setSystemTime(Date.now() + 49 * HOUR_MS);
    expect(await runDurableObjectAlarm(throttle)).toBe(true);
    expect(await keysOf(throttle)).toEqual([]);
  });
});

describe("the budget object", () => {
  it("counts the hour's texts exactly: three area codes' ranges in one shard spending 63 leave that shard's other ranges their texts", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime((hourOf(Date.now()) + 5000) * HOUR_MS + 1000);
    const [first, second, third, user] = await rangesInOneShard(["+1206", "+1312", "+1415", "+1617"]);
    const shard = await rangeThrottle(env, first!);
    /** A text as admitText asks for it: the range's shard, then the budget object. */
    const text = async (range: string, line: number, client: string, limitsHere = budget) => {
      const send: Send = { channel: "sms", recipient: `${range}${line}`, group: range, bucket: "US", purpose: "enrolment", nowMs: Date.now(), limits };
      expect(await shard.acquire(send)).toEqual({ allowed: true });
      return budgetThrottle(env).spend({ channel: "sms", bucket: "US", client, nowMs: send.nowMs, limits: limitsHere });
    };
    for (const range of [first!, second!, third!])
      for (let line = 100; line < 121; line += 1) expect(await text(range, line, "caller:192.0.2.10")).toEqual({ allowed: true });

    expect(await text(user!, 142, "203.0.113.250")).toEqual({ allowed: true });
    // The budget is the whole service's, and exact: with 65 an hour, the 66th text is refused, wherever it goes.
    const tight = { ...budget, maxPerHour: 65 };
    expect(await text(user!, 143, "203.0.113.251", tight)).toEqual({ allowed: true });
    expect(await text(user!, 144, "203.0.113.252", tight)).toMatchObject({ allowed: false, limit: "budget" });
    const hour = hourOf(Date.now());
    expect(await budgetThrottle(env).figures(hour, hour)).toEqual([{ interval: hour, country: "US", sent: 65, refused: { budget: 1 } }]);
  });

  it("caps each client per clock hour, and names the overall budget before the country's and the client's", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime((hourOf(Date.now()) + 5100) * HOUR_MS + 1000);
    const throttle = budgetThrottle(env);
    const spend = (client: string, limitsHere: Spend["limits"]): Spend => ({ channel: "sms", bucket: "GB", client, nowMs: Date.now(), limits: limitsHere });
    const small = { maxPerClientPerHour: 1, maxPerBucketPerHour: 2, maxPerHour: 3 };
    expect(await throttle.spend(spend("198.51.100.9", small))).toEqual({ allowed: true });
    expect(await throttle.spend(spend("198.51.100.9", small))).toMatchObject({ allowed: false, limit: "client" });
    expect(await throttle.spend(spend("198.51.100.10", small))).toEqual({ allowed: true });
    expect(await throttle.spend(spend("198.51.100.11", small))).toMatchObject({ allowed: false, limit: "bucket" });
    expect(await throttle.spend(spend("198.51.100.11", { ...small, maxPerHour: 2 }))).toMatchObject({ allowed: false, limit: "budget" });
  });
});
