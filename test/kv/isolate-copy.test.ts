// The copy an isolate keeps of a KV value (the webhooks list, the Twilio settings) for a few seconds.
import { afterEach, describe, expect, it, vi } from "vitest";
import { IsolateCopy } from "../../src/kv/isolate-copy";

afterEach(() => vi.useRealTimers());

describe("IsolateCopy", () => {
  it("answers the kept value until it is ttlMs old, then nothing", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    const copy = new IsolateCopy<string[]>(5_000);
    expect(copy.fresh()).toBeUndefined();
    expect(copy.keep([])).toEqual([]);
    vi.setSystemTime(1_004_999);
    expect(copy.fresh()).toEqual([]);
    vi.setSystemTime(1_005_000);
    expect(copy.fresh()).toBeUndefined();
  });

  it("counts a copy kept in the future (the clock went back) as stale", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(2_000_000);
    const copy = new IsolateCopy<number>(5_000);
    copy.keep(1);
    vi.setSystemTime(1_999_999);
    expect(copy.fresh()).toBeUndefined();
  });
});
