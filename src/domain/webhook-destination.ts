// Where a webhook may send, and which headers it may add. A webhook URL must name a public `https`
// host, as the WHATWG URL parser reads it (the parser `fetch` uses, which folds `2130706433`,
// `0x7f000001`, `0177.0.0.1` and `127.1` into `127.0.0.1`): no IP literal in a special-purpose
// range of IANA's registries (RFC 6890), no loopback, local or single-label name, no user name or
// password. Loopback (127.0.0.0/8, ::1, `localhost`) is allowed, over `http` too, only with the
// development setting WEBHOOK_ALLOW_LOOPBACK. Names are not resolved (a Worker has no DNS API): a
// public name that resolves to a private address passes, and Cloudflare's edge cannot reach private
// networks anyway; the check matters most for a self-hosted workerd.
import { type IpAddress, ipv4At, parseIp } from "./network";
import { SIGNATURE_HEADER } from "./webhook-signature";

/** At most this many headers per webhook. */
export const MAX_WEBHOOK_HEADERS = 20;

/** IPv4 ranges, from the IANA IPv4 Special-Purpose Address Registry (RFC 6890) and multicast/reserved space. */
const SPECIAL_IPV4 = [
  "0.0.0.0/8", // "this network" (RFC 791)
  "10.0.0.0/8", // private (RFC 1918)
  "100.64.0.0/10", // shared address space, carrier-grade NAT (RFC 6598)
  "169.254.0.0/16", // link-local, where cloud metadata services answer (RFC 3927)
  "172.16.0.0/12", // private (RFC 1918)
  "192.0.0.0/24", // IETF protocol assignments (RFC 6890)
  "192.0.2.0/24", // documentation, TEST-NET-1 (RFC 5737)
  "192.168.0.0/16", // private (RFC 1918)
  "198.18.0.0/15", // benchmarking (RFC 2544)
  "198.51.100.0/24", // documentation, TEST-NET-2 (RFC 5737)
  "203.0.113.0/24", // documentation, TEST-NET-3 (RFC 5737)
  "224.0.0.0/4", // multicast (RFC 5771)
  "240.0.0.0/4", // reserved (RFC 1112), with the broadcast address 255.255.255.255 (RFC 919)
];
const LOOPBACK_IPV4 = "127.0.0.0/8"; // RFC 1122
const LOOPBACK_IPV6 = "::1/128"; // RFC 4291 §2.5.3

/** IPv6 ranges, from the IANA IPv6 Special-Purpose Address Registry (RFC 6890) and RFC 4291. */
const SPECIAL_IPV6 = [
  "::/96", // unspecified (::) and the deprecated IPv4-compatible addresses (RFC 4291 §2.5.5.1)
  "64:ff9b:1::/48", // local-use IPv4/IPv6 translation (RFC 8215)
  "100::/64", // discard-only (RFC 6666)
  "2001::/23", // IETF protocol assignments, Teredo among them (RFC 2928, RFC 4380)
  "2001:db8::/32", // documentation (RFC 3849)
  "3fff::/20", // documentation (RFC 9637)
  "fc00::/7", // unique local (RFC 4193)
  "fe80::/10", // link-local (RFC 4291)
  "fec0::/10", // site-local, deprecated (RFC 3879)
  "ff00::/8", // multicast (RFC 4291)
];
/**
 * IPv6 ranges that carry an IPv4 address, judged as that address: where the address starts (which
 * group). An IPv4-mapped address (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) is read as its IPv4 address already.
 */
const IPV4_IN_IPV6: Array<[range: string, group: number]> = [
  ["64:ff9b::/96", 6], // NAT64 well-known prefix (RFC 6052)
  ["2002::/16", 1], // 6to4 (RFC 3056)
];

/** Names that only resolve on a local network: RFC 6761 §6.3, RFC 6762 (mDNS), RFC 8375, ICANN's `.internal` (2024). */
const LOCAL_NAME = /(?:^|\.)(?:local|internal|home\.arpa)$/;
const LOOPBACK_NAME = /(?:^|\.)localhost$/;

type Host = "public" | "loopback" | "special";

/**
 * Why deliveries may not go to `url`, or undefined when they may. `allowLoopback`
 * (WEBHOOK_ALLOW_LOOPBACK) admits loopback hosts over `http` or `https`, for local development.
 */
export function webhookUrlProblem(url: string, allowLoopback: boolean): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "The url is not a URL.";
  }
  if (parsed.username || parsed.password) return "The url may not carry a user name or password: send a credential in a header.";
  // A name may end in dots (`localhost..` is one the parser keeps): the same host without them.
  const host = hostKind(parsed.hostname.replace(/\.+$/, ""));
  if (host === "loopback") {
    if (!allowLoopback) return "The url is a loopback address, allowed only when WEBHOOK_ALLOW_LOOPBACK is true (local development).";
    return ["http:", "https:"].includes(parsed.protocol) ? undefined : "The url must be http or https.";
  }
  if (parsed.protocol !== "https:") return "The url must be https.";
  if (host === "special") return "The url must name a public host: not a private, link-local, reserved or local address or name.";
  return undefined;
}

function hostKind(host: string): Host {
  // Read as client addresses are (the SMS guard, lockouts): `[::ffff:7f00:1]` is 127.0.0.1.
  const address = parseIp(host);
  if (address) return addressKind(address);
  if (LOOPBACK_NAME.test(host)) return "loopback";
  return !host.includes(".") || LOCAL_NAME.test(host) ? "special" : "public";
}

function addressKind(address: IpAddress): Host {
  if (address.version === 4) {
    if (inRange(address, LOOPBACK_IPV4)) return "loopback";
    return SPECIAL_IPV4.some((range) => inRange(address, range)) ? "special" : "public";
  }
  if (inRange(address, LOOPBACK_IPV6)) return "loopback";
  for (const [range, group] of IPV4_IN_IPV6) {
    if (inRange(address, range)) return addressKind(ipv4At(address.groups, group));
  }
  return SPECIAL_IPV6.some((range) => inRange(address, range)) ? "special" : "public";
}

function inRange(address: IpAddress, range: string): boolean {
  const [base, bits] = range.split("/");
  const prefix = parseIp(base)!;
  if (prefix.version !== address.version) return false;
  const shift = BigInt((address.version === 4 ? 32 : 128) - Number(bits));
  return asNumber(address) >> shift === asNumber(prefix) >> shift;
}

/** An address as one number: 32 bits for IPv4, 128 for IPv6. */
const asNumber = (address: IpAddress): bigint => (address.version === 4 ? joined(address.octets, 8n) : joined(address.groups, 16n));
const joined = (parts: number[], width: bigint) => parts.reduce((value, part) => (value << width) | BigInt(part), 0n);

/**
 * Headers that belong to one connection or frame the message (RFC 9110 §7.6.1, RFC 9112 §6 and §7,
 * RFC 9110 §10.1.1 for `Expect`): a webhook's own would turn a delivery into something else, e.g.
 * `Connection: Upgrade` with `Upgrade: websocket` into a body-less WebSocket handshake.
 */
const HOP_BY_HOP = [
  "connection",
  "content-length",
  "expect",
  "host",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "trailers",
  "transfer-encoding",
  "upgrade",
];
/** Headers every delivery sets itself. */
const SET_BY_DELIVERY = ["content-type", SIGNATURE_HEADER.toLowerCase()];

/** Why a webhook may not set header `name` (`invalid` or `reserved`), or undefined when it may. */
export function headerProblem(name: string): { type: "invalid" | "reserved"; message: string } | undefined {
  const lower = name.toLowerCase();
  if (HOP_BY_HOP.includes(lower)) return { type: "invalid", message: `The ${name} header belongs to the connection, which the delivery controls.` };
  if (SET_BY_DELIVERY.includes(lower)) return { type: "reserved", message: `The delivery sets the ${name} header itself.` };
  return undefined;
}

/**
 * The headers a replace stores. Header values are write-only (a read answers each name with an
 * empty value), so an empty value keeps the stored one: but only towards the url it was given for.
 * `missing`: the names whose stored value the url change would send elsewhere; they must be given again.
 */
export function replacedHeaders(
  given: Record<string, string>,
  stored: Record<string, string>,
  sameUrl: boolean,
): { headers: Record<string, string>; missing: string[] } {
  const kept = (name: string, value: string) => value === "" && Object.hasOwn(stored, name) && stored[name] !== "";
  const missing = Object.entries(given)
    .filter(([name, value]) => !sameUrl && kept(name, value))
    .map(([name]) => name);
  const headers = Object.fromEntries(Object.entries(given).map(([name, value]) => [name, sameUrl && kept(name, value) ? stored[name]! : value]));
  return { headers, missing };
}
