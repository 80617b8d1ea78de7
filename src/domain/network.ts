// Client IP addresses as callers write them, read into one form, and the network each belongs to.
//
// Every spelling of one address reads the same: surrounding spaces, brackets and a port
// (`[2001:db8::1]:443`, `203.0.113.7:4431`), an IPv6 zone (`fe80::1%eth0`, RFC 4007 §11; `%25` in
// URLs, RFC 6874), upper or lower case, `::` or zeros, a dotted IPv4 tail (RFC 4291 §2.2), and an
// IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, `::ffff:cb00:7107`, RFC 4291 §2.5.5.2), which is
// the IPv4 address it carries. Anything else (a list, a host name, `unknown`) is no address.

/** An address in one form: four octets, or eight 16-bit groups. */
export type IpAddress = { version: 4; octets: number[] } | { version: 6; groups: number[] };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const BRACKETED = /^\[([^\]]*)\](?::\d{1,5})?$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

export function parseIp(text: string | undefined): IpAddress | undefined {
  const trimmed = text?.trim() ?? "";
  const unwrapped = BRACKETED.exec(trimmed)?.[1] ?? IPV4_WITH_PORT.exec(trimmed)?.[1] ?? trimmed;
  const octets = ipv4(unwrapped);
  if (octets) return { version: 4, octets };
  const groups = ipv6(unwrapped.replace(/%.*$/s, ""));
  if (!groups) return undefined;
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  return mapped ? ipv4At(groups, 6) : { version: 6, groups };
}

/** The IPv4 address that IPv6 `groups` carry in the two groups from `index` on (mapped, NAT64, 6to4). */
export const ipv4At = (groups: number[], index: number): IpAddress => ({
  version: 4,
  octets: [groups[index]! >> 8, groups[index]! & 0xff, groups[index + 1]! >> 8, groups[index + 1]! & 0xff],
});

function ipv4(text: string): number[] | undefined {
  const octets = IPV4.exec(text)?.slice(1).map(Number);
  return octets?.every((octet) => octet <= 255) ? octets : undefined;
}

function ipv6(text: string): number[] | undefined {
  if (!text.includes(":")) return undefined;
  // A dotted IPv4 tail stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  const tailOctets = tail.includes(".") ? ipv4(tail) : undefined;
  if (tail.includes(".") && !tailOctets) return undefined;
  const hex = tailOctets ? `${text.slice(0, lastColon + 1)}${hexGroup(tailOctets[0]!, tailOctets[1]!)}:${hexGroup(tailOctets[2]!, tailOctets[3]!)}` : text;
  const halves = hex.split("::");
  if (halves.length > 2) return undefined;
  const [head = [], rest] = halves.map((half) => (half ? half.split(":") : []));
  // `::` stands for one group or more.
  const missing = 8 - head.length - (rest?.length ?? 0);
  if (rest ? missing < 1 : missing !== 0) return undefined;
  const written = rest ? [...head, ...Array<string>(missing).fill("0"), ...rest] : head;
  return written.every((group) => HEX_GROUP.test(group)) ? written.map((group) => parseInt(group, 16)) : undefined;
}

const hexGroup = (high: number, low: number) => ((high << 8) | low).toString(16);

/**
 * The network an address belongs to, for recognising where a user logs in from: an IPv4 /24 or an
 * IPv6 /64 (the prefix a single site usually gets, RFC 6177), so a home or office whose address
 * changes within its range stays familiar. Anything that is not an IP address has no network.
 */
export function networkOf(ip: string | undefined): string | undefined {
  const address = parseIp(ip);
  if (!address) return undefined;
  return address.version === 4 ? `${address.octets.slice(0, 3).join(".")}.0/24` : ipv6Prefix64(address.groups);
}

/** An IPv6 address's /64 as `2001:db8:0:42::/64` (lower-case hex, no leading zeros). */
export const ipv6Prefix64 = (groups: number[]) =>
  `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
