// The SMS guard's pure parts: the one key (and cap) each client's texts are counted under, and the
// number classes refused whatever libphonenumber says.
import { describe, expect, it } from "vitest";
import { checkDestination, clientAllowance, NUMBER_CLASSES, type PhoneFacts } from "../../src/domain/sms-guard";

const caps = { maxPerIpPerHour: 30, maxPerUnparseableIpPerHour: 7, maxPerCallerPerHour: 500 };
const endUser = (ip: string | undefined) => clientAllowance({ kind: "end-user", ip }, caps);

describe("clientAllowance", () => {
  it("gives every spelling of one IPv4 address one key", () => {
    for (const spelling of [
      "198.51.100.9",
      " 198.51.100.9 ",
      "::ffff:198.51.100.9",
      "::FFFF:198.051.100.009",
      "0:0:0:0:0:ffff:198.51.100.9",
      "0000:0000:0000:0000:0000:FFFF:C633:6409",
      "::ffff:c633:6409",
      "198.51.100.9:4431",
      "[::ffff:198.51.100.9]:443",
      "[198.51.100.9]",
    ])
      expect(endUser(spelling), spelling).toEqual({ key: "198.51.100.9", maxPerHour: 30 });
  });

  it("counts IPv6 by its /64, however it is written", () => {
    for (const spelling of [
      "2001:db8:1:2::1",
      "2001:DB8:1:2:aaaa::2",
      "2001:0db8:0001:0002:ffff:ffff:ffff:3",
      "[2001:db8:1:2::1]:443",
      "[2001:db8:1:2::1]",
      "2001:db8:1:2::1%eth0",
      "2001:db8:1:2::198.51.100.9",
    ])
      expect(endUser(spelling).key, spelling).toBe("2001:db8:1:2::/64");
    expect(endUser("fe80::1%eth0").key).toBe(endUser("[FE80::2%25en0]:443").key);
  });

  it("counts whatever is not an address, or none, as one shared client with its own cap", () => {
    for (const value of [
      undefined,
      "",
      "unknown",
      "198.51.100.256",
      "1.2.3",
      "a, b",
      "198.51.100.9, 203.0.113.1",
      "::ffff:1.2.3.999",
      "1:2:3:4:5:6:7:8::9",
      "1::2::3",
    ])
      expect(endUser(value), String(value)).toEqual({ key: "unparseable", maxPerHour: 7 });
  });

  it("counts a caller that reports no end user's address apart from any end user, under its own cap", () => {
    expect(clientAllowance({ kind: "caller", ip: "::ffff:192.0.2.10" }, caps)).toEqual({ key: "caller:192.0.2.10", maxPerHour: 500 });
    expect(clientAllowance({ kind: "caller", ip: undefined }, caps)).toEqual({ key: "caller:unparseable", maxPerHour: 500 });
  });
});

describe("number classes", () => {
  const policy = { allowedCountries: "*" as const, refusedNumberClasses: NUMBER_CLASSES, allowUnassignedNumbers: true };
  /** A number libphonenumber cannot place: only the ranges can class it. */
  const unplaced = (e164: string): PhoneFacts => ({ e164, callingCode: "1", region: "US", valid: false });

  it.each([
    ["+18002345678", "toll-free"],
    ["+18222345678", "toll-free"],
    ["+18872345678", "toll-free"],
    ["+15002345678", "personal"],
    ["+15292345678", "personal"],
    ["+15882345678", "personal"],
    ["+19002345678", "premium-rate"],
  ])("refuses %s as %s whatever libphonenumber says", (e164, numberClass) => {
    expect(checkDestination(unplaced(e164), policy)).toMatchObject({ ok: false, reason: "number-type", numberClass });
  });

  it("leaves the geographic area codes next to them alone", () => {
    for (const e164 of ["+18012345678", "+15302345678", "+15312345678", "+15202345678", "+18902345678"])
      expect(checkDestination(unplaced(e164), policy).ok, e164).toBe(true);
  });

  it("takes libphonenumber's TOLL_FREE and PERSONAL_NUMBER elsewhere", () => {
    const typed = (type: string): PhoneFacts => ({ e164: "+447012345678", callingCode: "44", region: "GB", valid: true, type });
    expect(checkDestination(typed("PERSONAL_NUMBER"), policy)).toMatchObject({ reason: "number-type", numberClass: "personal" });
    expect(checkDestination(typed("TOLL_FREE"), policy)).toMatchObject({ reason: "number-type", numberClass: "toll-free" });
    expect(checkDestination(typed("MOBILE"), policy).ok).toBe(true);
  });
});
