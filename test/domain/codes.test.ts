// Codes (src/domain/codes.ts): the step to text and the SMS window (RFC 6238 §5.2 ±1, plus texted steps).
import { describe, expect, it } from "vitest";
import { acceptableSteps, textStep } from "../../src/domain/codes";
import { timeStep } from "../../src/domain/totp";
import { account, changed, complete, config, pure, SECOND, STEP, T0, withChallenge } from "./accounts";

describe("textStep and the SMS window", () => {
  it("never texts a consumed step: max(now, last accepted + 1)", () => {
    const fresh = account();
    expect(pure([fresh], () => textStep(fresh, T0, config)).step).toBe(STEP);
    const used = account({}, { lastAcceptedStep: STEP });
    expect(pure([used], () => textStep(used, T0, config)).step).toBe(STEP + 1);
    const old = account({}, { lastAcceptedStep: STEP - 3 });
    expect(pure([old], () => textStep(old, T0, config)).step).toBe(STEP);
  });

  it("keeps the texted step acceptable until codeTtlSeconds, even after the step has passed", () => {
    const start = account();
    const { next, step } = pure([start], () => textStep(start, T0, config));
    expect(next.version).toBe(start.version + 1);
    expect(next.guard.smsCodes).toEqual([{ step, expiresAt: T0 + 300 * SECOND }]);
    // 200 s later the step is far outside ±1, but the SMS window keeps it.
    expect(acceptableSteps(T0 + 200 * SECOND, [])).not.toContain(step);
    expect(acceptableSteps(T0 + 200 * SECOND, next.guard.smsCodes)).toContain(step);
    expect(acceptableSteps(T0 + 300 * SECOND, next.guard.smsCodes)).not.toContain(step);
    // The ±1 window comes first, each step once.
    const now = timeStep(T0 + 200 * SECOND);
    expect(acceptableSteps(T0 + 200 * SECOND, next.guard.smsCodes)).toEqual([now, now - 1, now + 1, step]);
    expect(acceptableSteps(T0, next.guard.smsCodes)).toEqual([STEP, STEP - 1, STEP + 1]);
  });

  it("drops expired texted codes and keeps one entry per step", () => {
    const start = account(
      {},
      {
        smsCodes: [
          { step: STEP - 20, expiresAt: T0 - 1 },
          { step: STEP, expiresAt: T0 + 5 * SECOND },
        ],
      },
    );
    const { next } = pure([start], () => textStep(start, T0 + SECOND, config));
    expect(next.guard.smsCodes).toEqual([{ step: STEP, expiresAt: T0 + 301 * SECOND }]);
  });

  it("lets an accepted code withdraw the texted steps it supersedes", () => {
    const texted = textStep(withChallenge(), T0, config).next;
    const next = changed(complete(texted, "R1", { code: "123456", step: STEP }, undefined, T0 + SECOND), texted);
    expect(next.guard.smsCodes).toEqual([]);
  });
});
