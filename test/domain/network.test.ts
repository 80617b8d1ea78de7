// The network an address belongs to (IPv4 /24, IPv6 /64), which tells a familiar login source:
// every spelling of an address (ports, brackets, zones, IPv4-mapped IPv6) has its network.
import { describe, expect, it } from "vitest";
import { networkOf } from "../../src/domain/network";

describe("networkOf", () => {
  it.each([
    ["192.0.2.7", "192.0.2.0/24"],
    [" 192.0.2.255 ", "192.0.2.0/24"],
    ["::ffff:192.0.2.7", "192.0.2.0/24"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:0db8:0000:0042:0000:8a2e:0370:7334", "2001:db8:0:42::/64"],
    ["2001:DB8:0:42::7", "2001:db8:0:42::/64"],
    ["::1", "0:0:0:0::/64"],
    ["0:0:0:0:0:ffff:192.0.2.7", "192.0.2.0/24"],
    ["::ffff:c000:207", "192.0.2.0/24"],
    ["192.0.2.7:4431", "192.0.2.0/24"],
    ["[::ffff:192.0.2.7]:443", "192.0.2.0/24"],
    ["[2001:db8:0:42::7]:443", "2001:db8:0:42::/64"],
    ["[2001:db8:0:42::7]", "2001:db8:0:42::/64"],
    ["2001:db8:0:42::7%eth0", "2001:db8:0:42::/64"],
    ["fe80::1%25en0", "fe80:0:0:0::/64"],
    ["2001:db8:0:42:0:0:192.0.2.7", "2001:db8:0:42::/64"],
  ])("puts %s in %s", (ip, network) => {
    expect(networkOf(ip)).toBe(network);
  });

  it("gives the same network to neighbours and different ones to strangers", () => {
    expect(networkOf("198.51.100.7")).toBe(networkOf("198.51.100.200"));
    expect(networkOf("198.51.100.7")).not.toBe(networkOf("198.51.101.7"));
    expect(networkOf("2001:db8:1:2::a")).toBe(networkOf("2001:db8:1:2:ffff::b"));
    expect(networkOf("2001:db8:1:2::a")).not.toBe(networkOf("2001:db8:1:3::a"));
  });

  it.each([
    undefined,
    "",
    "256.1.1.1",
    "1.2.3",
    "example.com",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::9",
    "1::2::3",
    "12345::1",
    "::ffff:999.0.0.1",
    "1.2.3.4::1",
    "javascript:1",
    "unknown",
    "192.0.2.7, 198.51.100.1",
    "[192.0.2.7",
    "192.0.2.7:port",
  ])("has no network for %s", (ip) => {
    expect(networkOf(ip)).toBeUndefined();
  });
});
