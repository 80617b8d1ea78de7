// What a login id may be and which ones are one: an email's syntax, and the confusable skeleton
// (Unicode UTS #39) under which a login id beyond ASCII is also claimed, so that ids which only look
// alike across scripts (`pаypal` with a Cyrillic `а`) cannot belong to two users. Folding (NFKC, case,
// a trailing dot) is `normalizeLoginId` in ./user.ts.
import { CONFUSABLES } from "./confusables";
import { normalizeLoginId } from "./user";

const ASCII = /^\p{ASCII}*$/u;

/** A character's prototype in UTS #39's confusables data (./confusables.ts), or the character itself. */
function prototypeOf(char: string): string {
  const at = CONFUSABLES.indexOf(`\n${char} `);
  return at < 0 ? char : CONFUSABLES.slice(at + char.length + 2, CONFUSABLES.indexOf("\n", at + 1));
}

/**
 * The login id's confusable skeleton: two ids with one skeleton look alike. UTS #39's skeleton
 * (https://www.unicode.org/reports/tr39/#Confusable_Detection: NFD, each character replaced by its
 * prototype, NFD again) of the folded id, with two departures. ASCII characters keep their form, so
 * a pure-ASCII id is its own skeleton: `modern` and `modem` (`rn` → `m`), `l` and `1` stay apart as
 * they always have. The result is lower-cased like a folded id (a prototype may be upper case) and
 * composed (NFC, equal exactly when the NFD forms are), so an id that maps onto an existing one's
 * folded form meets it.
 */
export function loginIdSkeleton(loginId: string): string {
  const folded = normalizeLoginId(loginId);
  if (ASCII.test(folded)) return folded;
  const mapped = Array.from(folded.normalize("NFD"), (char) => (ASCII.test(char) ? char : prototypeOf(char))).join("");
  return mapped.normalize("NFD").toLowerCase().normalize("NFC");
}

/** RFC 5322 §3.2.3 `atext`, with any character beyond ASCII (RFC 6531 §3.3) but white space, control and format characters. */
const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\P{ASCII}]+$/u;
const INVISIBLE = /[\s\p{C}\p{Z}]/u;
/** A domain label: letters, digits and hyphens (RFC 1035 §2.3.1), letters and digits of any script (IDNA, RFC 5890), or A-labels (`xn--…`). */
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?$/u;

const codePoints = (text: string) => Array.from(text).length;

/**
 * Whether `email` is an address: a dot-atom local part (RFC 5322 §3.4.1; quoted local parts are not
 * accepted) of at most 64 characters, `@`, and a domain of at least two labels (Unicode or
 * punycode, an optional final dot) of at most 255, within 254 in all (RFC 5321 §4.5.3.1). Checked as
 * typed and as folded to NFKC, so a fullwidth `＜` is refused as `<` is.
 */
export function isEmailAddress(email: string): boolean {
  return [email, email.normalize("NFKC")].every((form) => {
    const at = form.lastIndexOf("@");
    const local = form.slice(0, at);
    const domain = form.slice(at + 1).replace(/\.$/, "");
    const labels = domain.split(".");
    return (
      at > 0 &&
      !INVISIBLE.test(form) &&
      codePoints(form) <= 254 &&
      codePoints(local) <= 64 &&
      codePoints(domain) <= 255 &&
      local.split(".").every((atom) => ATOM.test(atom)) &&
      labels.length >= 2 &&
      labels.every((label) => codePoints(label) <= 63 && LABEL.test(label))
    );
  });
}
