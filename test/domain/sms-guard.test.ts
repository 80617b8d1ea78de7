// The SMS guard's pure parts: how an hourly budget is split over the phone throttle's shards, and
// the one key each client address is counted under.
import { describe, expect, it } from "vitest";
import { budgetShare, clientKey } from "../../src/domain/sms-guard";

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

describe("clientKey", () => {
  it("gives every spelling of one IPv4 address one key", () => {
    for (const spelling of ["198.51.100.9", " 198.51.100.9 ", "::ffff:198.51.100.9", "::FFFF:198.051.100.009"])
      expect(clientKey(spelling), spelling).toBe("198.51.100.9");
  });

  it("counts IPv6 by its /64, however it is written", () => {
    for (const spelling of ["2001:db8:1:2::1", "2001:DB8:1:2:aaaa::2", "2001:0db8:0001:0002:ffff:ffff:ffff:3"])
      expect(clientKey(spelling), spelling).toBe("2001:db8:1:2::/64");
  });

  it("has no key for what is not an address", () => {
    for (const value of [undefined, "", "unknown", "198.51.100.256", "1.2.3"]) expect(clientKey(value)).toBeUndefined();
  });
});
