import { afterEach, describe, it, expect, vi } from "vitest";
import { hotp as otplibHotp } from "otplib";
import { KeyEncodings } from "otplib/core";
import { randomBytes } from "../../src/crypto/random";
import { TOTP_PERIOD_SECONDS, timeStep } from "../../src/domain/totp";
import { findMatchingStep, findMatchingStepIn, hotp, importTotpKey, totpCode } from "../../src/crypto/totp";

const RFC_KEY = new TextEncoder().encode("12345678901234567890");

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

// Independent implementation (Node's crypto.createHmac via otplib) used as an oracle.
const oracle = (key: Uint8Array, counter: number) => otplibHotp.clone({ encoding: KeyEncodings.HEX, digits: 6 }).generate(hex(key), counter);

const seconds = (value: number) => value * 1000;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("timeStep", () => {
  it("counts 30-second periods since the Unix epoch", () => {
    expect(TOTP_PERIOD_SECONDS).toBe(30);
    expect(timeStep(0)).toBe(0);
    expect(timeStep(29_999)).toBe(0);
    expect(timeStep(30_000)).toBe(1);
    expect(timeStep(seconds(59))).toBe(1);
    expect(timeStep(seconds(1111111109))).toBe(37037036);
    expect(timeStep(seconds(20000000000))).toBe(666666666);
  });
});

describe("hotp", () => {
  it("matches the RFC 4226 Appendix D test values", async () => {
    const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    for (const [counter, code] of expected.entries()) expect(await hotp(RFC_KEY, counter)).toBe(code);
  });

  it("keeps leading zeros", async () => {
    const code = await hotp(RFC_KEY, 30);
    expect(code).toBe("026920");
    expect(code).toHaveLength(6);
  });

  it("encodes counters beyond 2^32 in all eight bytes", async () => {
    expect(await hotp(RFC_KEY, 2 ** 32)).toBe("999456");
    expect(await hotp(RFC_KEY, 2 ** 32 + 1)).toBe("108930");
    for (const counter of [2 ** 32 - 1, 2 ** 32, 2 ** 33 + 7, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      expect(await hotp(RFC_KEY, counter), String(counter)).toBe(oracle(RFC_KEY, counter));
    }
  });

  it("rejects counters that cannot be encoded exactly", async () => {
    for (const counter of [-1, 1.5, Number.NaN, 2 ** 53]) {
      await expect(hotp(RFC_KEY, counter)).rejects.toThrow(RangeError);
    }
  });
});

describe("a key imported once", () => {
  it("gives the same codes and matches as the raw bytes, without importing the key again", async () => {
    const imported = await importTotpKey(RFC_KEY);
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    for (let counter = 0; counter < 10; counter++) expect(await hotp(imported, counter)).toBe(await oracle(RFC_KEY, counter));
    expect(await findMatchingStepIn(imported, await oracle(RFC_KEY, 7), [8, 7, 6])).toBe(7);
    expect(await findMatchingStepIn(imported, await oracle(RFC_KEY, 9), [8, 7, 6])).toBeNull();
    expect(importKey).not.toHaveBeenCalled();
  });
});

describe("totpCode", () => {
  // RFC 6238 Appendix B, SHA-1 column: [T seconds, 8-digit code].
  const RFC6238_VECTORS: [number, string][] = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];

  it("matches the RFC 6238 Appendix B SHA-1 values with 8 digits", async () => {
    for (const [time, code] of RFC6238_VECTORS) expect(await hotp(RFC_KEY, timeStep(seconds(time)), 8)).toBe(code);
  });

  it("gives the last six digits of the RFC 6238 values", async () => {
    for (const [time, code] of RFC6238_VECTORS) expect(await totpCode(RFC_KEY, seconds(time))).toBe(code.slice(2));
  });

  it("keeps the leading zero of the RFC 6238 value at T=1111111109", async () => {
    const code = await totpCode(RFC_KEY, seconds(1111111109));
    expect(code).toBe("081804");
    expect(code).toHaveLength(6);
  });

  it("agrees with otplib for 300 random keys at times up to and past 2^32 steps", async () => {
    const maxStepsMs = 2 ** 32 * 30_000;
    for (let i = 0; i < 300; i++) {
      const key = randomBytes(10 + (i % 23));
      const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint32Array(3));
      const times = [
        a * 1000, // up to 2106: covers 2^31 seconds (2038)
        seconds(2 ** 32) + b * 30_000, // far future, below 2^32 steps
        maxStepsMs + c * 30_000 + (i % 30_000), // beyond 2^32 steps
      ];
      for (const nowMs of times) {
        const step = Math.floor(nowMs / 30_000);
        expect(await totpCode(key, nowMs), `key ${hex(key)} at ${nowMs} ms`).toBe(oracle(key, step));
      }
    }
  });
});

describe("findMatchingStep", () => {
  const nowMs = seconds(1617235200);
  const current = timeStep(nowMs);

  it("accepts the current, previous and next step and says which matched", async () => {
    for (const step of [current - 1, current, current + 1]) {
      expect(await findMatchingStep(RFC_KEY, await hotp(RFC_KEY, step), nowMs)).toBe(step);
    }
  });

  it("rejects codes two steps away with the default window", async () => {
    for (const step of [current - 2, current + 2]) {
      expect(await findMatchingStep(RFC_KEY, await hotp(RFC_KEY, step), nowMs)).toBeNull();
    }
  });

  it("accepts codes two steps away with a window of 2", async () => {
    for (const step of [current - 2, current + 2]) {
      expect(await findMatchingStep(RFC_KEY, await hotp(RFC_KEY, step), nowMs, 2)).toBe(step);
    }
  });

  it("only accepts the current step with a window of 0", async () => {
    expect(await findMatchingStep(RFC_KEY, await hotp(RFC_KEY, current), nowMs, 0)).toBe(current);
    expect(await findMatchingStep(RFC_KEY, await hotp(RFC_KEY, current + 1), nowMs, 0)).toBeNull();
  });

  it("rejects a code from another key", async () => {
    const code = await totpCode(RFC_KEY, nowMs);
    const otherKey = new TextEncoder().encode("09876543210987654321");
    const otherCodes = await Promise.all([-1, 0, 1].map((offset) => hotp(otherKey, current + offset)));
    expect(otherCodes).not.toContain(code);
    expect(await findMatchingStep(otherKey, code, nowMs)).toBeNull();
  });

  it("rejects codes that are not exactly six ASCII digits", async () => {
    const code = await totpCode(RFC_KEY, nowMs);
    const malformed = [
      "",
      code.slice(1),
      `${code}0`,
      `0${code}`,
      ` ${code}`,
      `${code} `,
      `${code.slice(0, 3)} ${code.slice(3)}`,
      `${code}\n`,
      code.replace(/./, "a"),
      "12345a",
      "-12345",
      "+12345",
      "1234.5",
      "١٢٣٤٥٦", // Arabic-Indic digits
      "１２３４５６", // full-width digits
    ];
    for (const text of malformed) expect(await findMatchingStep(RFC_KEY, text, nowMs), JSON.stringify(text)).toBeNull();
  });

  it("works at times past 2038 and past 2^32 steps", async () => {
    for (const time of [2 ** 31, 2 ** 31 + 30, 4102444800, 20000000000, 2 ** 32 * 30 + 45]) {
      const step = timeStep(seconds(time));
      expect(await findMatchingStep(RFC_KEY, oracle(RFC_KEY, step + 1), seconds(time))).toBe(step + 1);
    }
  });

  it("skips steps before the epoch", async () => {
    expect(await findMatchingStep(RFC_KEY, "755224", 0)).toBe(0);
    expect(await findMatchingStep(RFC_KEY, "287082", 0)).toBe(1);
  });

  it("imports the key once and computes every candidate even when the current step matches", async () => {
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    const sign = vi.spyOn(crypto.subtle, "sign");
    const code = await totpCode(RFC_KEY, nowMs);
    importKey.mockClear();
    sign.mockClear();
    expect(await findMatchingStep(RFC_KEY, code, nowMs)).toBe(current);
    expect(importKey).toHaveBeenCalledTimes(1);
    expect(sign).toHaveBeenCalledTimes(3);
  });
});

describe("findMatchingStepIn", () => {
  it("returns the listed step whose code matches", async () => {
    const steps = [100, 7, 2 ** 32 + 3];
    for (const step of steps) expect(await findMatchingStepIn(RFC_KEY, await hotp(RFC_KEY, step), steps)).toBe(step);
  });

  it("returns null for steps that are not listed or an empty list", async () => {
    expect(await findMatchingStepIn(RFC_KEY, "755224", [1, 2, 3])).toBeNull();
    expect(await findMatchingStepIn(RFC_KEY, "755224", [])).toBeNull();
  });

  it("returns the first listed step when several share the code", async () => {
    expect(await findMatchingStepIn(RFC_KEY, "755224", [5, 0, 0])).toBe(0);
  });

  it("computes every listed candidate after finding a match", async () => {
    const sign = vi.spyOn(crypto.subtle, "sign");
    expect(await findMatchingStepIn(RFC_KEY, "755224", [0, 1, 2, 3, 4])).toBe(0);
    expect(sign).toHaveBeenCalledTimes(5);
  });
});
