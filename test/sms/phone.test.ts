import { describe, expect, it } from "vitest";
import { normalizePhone } from "../../src/sms/phone";

describe("normalizePhone", () => {
  it.each([
    // FusionAuth's tutorial number: possible but not "valid", and must be kept.
    ["555-555-5555", "US", "+15555555555"],
    ["(555) 555-5555", "US", "+15555555555"],
    ["1 555 555 5555", "US", "+15555555555"],
    ["  +1 555.555.5555 ", "US", "+15555555555"],
    ["+44 20 7946 0958", "US", "+442079460958"],
    ["+44 20 7946 0958", "GB", "+442079460958"],
    ["020 7946 0958", "GB", "+442079460958"],
    ["555-555-5555", "us", "+15555555555"],
    // Twilio's test numbers pass through unchanged whatever the region.
    ["+15005550006", "US", "+15005550006"],
    ["+15005550006", "GB", "+15005550006"],
    ["+15005550001", "US", "+15005550001"],
  ])("%s in %s -> %s", (input, region, expected) => {
    expect(normalizePhone(input, region)).toBe(expected);
  });

  it("reads a national number in the default region", () => {
    expect(normalizePhone("555-555-5555", "GB")).toBe("+445555555555");
    expect(normalizePhone("020 7946 0958", "US")).toBeNull();
  });

  it("still takes international numbers when the region is unknown", () => {
    expect(normalizePhone("+15555555555", "XX")).toBe("+15555555555");
    expect(normalizePhone("555-555-5555", "XX")).toBeNull();
  });

  it.each(["", "   ", "abc", "not a phone", "555-CALL-NOW", "123", "+1 555 555 5555 555", "1234567890123456789", "call 555-555-5555 now", "+0123456789"])(
    "rejects %j",
    (input) => {
      expect(normalizePhone(input, "US")).toBeNull();
    },
  );
});
