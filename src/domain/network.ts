// The network an IP address belongs to, for recognising where a user logs in from: an IPv4 /24 or
// an IPv6 /64 (the prefix a single site usually gets, RFC 6177), so a home or office whose address
// changes within its range stays familiar. Anything that is not an IP address has no network.
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function networkOf(ip: string | undefined): string | undefined {
  const address = ip?.trim();
  if (!address) return undefined;
  const v4 = IPV4.exec(address.replace(/^::ffff:/i, ""));
  if (v4) return v4.slice(1).every((octet) => Number(octet) <= 255) ? `${v4[1]}.${v4[2]}.${v4[3]}.0/24` : undefined;
  if (!/^[0-9a-f:]+$/i.test(address) || !address.includes(":")) return undefined;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill("0"), ...tailGroups] : headGroups;
  if (groups.length !== 8 || groups.some((group) => group.length === 0 || group.length > 4)) return undefined;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
