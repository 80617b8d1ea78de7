// The SMS guard's pure arithmetic: how an hourly budget is split over the phone throttle's shards.
import { describe, expect, it } from "vitest";
import { budgetShare } from "../../src/domain/sms-guard";

const shares = (budget: number, slices = 16) => Array.from({ length: slices }, (_, slice) => budgetShare(budget, slices, slice));
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe("budgetShare", () => {
  it.each([16, 17, 31, 100, 1000, 1001])("splits a budget of %i over 16 shards into shares that add up to it exactly", (budget) => {
    expect(sum(shares(budget))).toBe(budget);
    expect(Math.max(...shares(budget)) - Math.min(...shares(budget))).toBeLessThanOrEqual(1);
  });

  it("gives the 100 an hour of a foreign country 7 to the first 4 shards and 6 to the others", () => {
    expect(shares(100)).toEqual([7, 7, 7, 7, ...Array(12).fill(6)]);
  });

  it("never gives a shard nothing: a budget under 16 lets at most 16 texts through", () => {
    expect(shares(5)).toEqual(Array(16).fill(1));
  });
});
