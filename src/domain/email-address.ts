// Email addresses as a method keeps them and a code is sent to them. The domain is compared without
// case (RFC 5321 §2.4) and kept lower-cased; the local part is kept as typed, since only the
// receiving server may read it without case. The check is deliberately plain: it refuses what no
// mail server takes (spaces, a missing or dotless domain, brackets that would end a header), not
// every address RFC 5322's full grammar allows.

/** RFC 5321 §4.5.3.1: 64 octets for the local part, 255 for the domain; 254 for the whole path. */
const MAX_LOCAL = 64;
const MAX_ADDRESS = 254;
const LOCAL = /^[^\s@<>()[\]\\,;:"\p{Cc}]+$/u;
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

/** `raw` trimmed with its domain lower-cased, or null when it is not an address a code could be sent to. */
export function normalizeEmail(raw: string): string | null {
  const address = raw.trim();
  const at = address.lastIndexOf("@");
  if (at <= 0 || address.length > MAX_ADDRESS) return null;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  const labels = domain.split(".");
  if (local.length > MAX_LOCAL || !LOCAL.test(local) || labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null;
  return `${local}@${domain}`;
}
