// The key-rotation decisions: which key sealed a value, counting per key, and the sweep's state.
import { describe, expect, it } from "vitest";
import { afterPage, countKeys, newSweep, oldKeys, sealedKeyId, STALLED_SWEEP_MS, sweepToRun } from "../../src/domain/key-rotation";

describe("sealed values", () => {
  it("name their key; anything else names none", () => {
    expect(sealedKeyId("v1.k2.aXY.c2VhbGVk")).toBe("k2");
    expect(sealedKeyId("v0.k2.aXY.c2VhbGVk")).toBeNull();
    expect(sealedKeyId("v1..aXY")).toBeNull();
    expect(sealedKeyId("dGhpcyBpcyBhbiBITUFDIG5vdCBhIHNlYWxlZCB2YWx1ZQ")).toBeNull();
  });

  it("are counted per key, old keys without the current one and zeros", () => {
    const counts = countKeys(["v1.k2.a.b", "v1.k1.a.b", "v1.k1.c.d", "plain"]);
    expect(counts).toEqual({ k2: 1, k1: 2 });
    expect(oldKeys({ ...counts, k0: 0 }, "k2")).toEqual({ k1: 2 });
  });
});

describe("a sweep", () => {
  const started = newSweep("s1", "k2", 1_000);

  it("adds up each page: users still holding an old key once per key, users with HMAC recovery codes", () => {
    const page = afterPage(
      started,
      [
        { keys: { k2: 3 }, hmacRecoveryCodes: 0 },
        { keys: { k2: 1, k1: 2 }, hmacRecoveryCodes: 10 },
        null, // gone since the page was listed
        { keys: { k0: 1 }, hmacRecoveryCodes: 0 },
      ],
      "next",
      2_000,
    );
    expect(page).toMatchObject({ swept: 3, users: { k1: 1, k0: 1 }, hmacRecoveryCodeUsers: 1, cursor: "next", updatedAt: 2_000 });
    expect(page.finishedAt).toBeUndefined();
    const last = afterPage(page, [{ keys: { k1: 1 }, hmacRecoveryCodes: 0 }], null, 3_000);
    expect(last).toMatchObject({ swept: 4, users: { k1: 2, k0: 1 }, cursor: null, finishedAt: 3_000 });
  });

  it("starts for a key without one, resumes when stalled, and otherwise waits", () => {
    expect(sweepToRun(null, "k2", 0)).toBe("start");
    expect(sweepToRun(started, "k3", 0)).toBe("start");
    expect(sweepToRun(started, "k2", started.updatedAt + STALLED_SWEEP_MS - 1)).toBe("none");
    expect(sweepToRun(started, "k2", started.updatedAt + STALLED_SWEEP_MS)).toBe("resume");
    expect(sweepToRun({ ...started, cursor: null }, "k2", started.updatedAt + 10 * STALLED_SWEEP_MS)).toBe("none");
  });
});
