// Recovery codes, FusionAuth's shape (1.26+, https://fusionauth.io/docs/apis/two-factor): ten
// single-use codes that stand in for the second factor when the phone is lost, shown as two groups
// of five. New codes use Crockford's Base32 alphabet (https://www.crockford.com/base32.html), which
// leaves out the letters people confuse with digits (I, L, O; and U), and input folds those
// lookalikes (O → 0, I and L → 1), so a code typed with either spelling is the same code.
// Codes issued before used RFC 4648's Base32 alphabet (A–Z, 2–7), whose letters the folding can
// turn into digits: `storedFormsOf` also names their spellings, so they keep working.
export const RECOVERY_CODE_COUNT = 10;

/** How many random bytes make one code: 7 bytes = 56 bits, of which the 10 characters use 50. */
export const RECOVERY_CODE_RANDOM_BYTES = 7;

const CHARACTERS = 10;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** A folded code: Crockford's alphabet, plus the U of codes issued in RFC 4648's. */
const FOLDED_CODE = /^[0-9A-HJKMNP-Z]{10}$/;
const RFC4648_CODE = /^[A-Z2-7]{10}$/;
/** What people type between or around the groups: spaces, dashes, dots, underscores. */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212._]/g;
const LOOKALIKES: Record<string, string> = { O: "0", I: "1", L: "1" };
/** Codes issued in RFC 4648's alphabet with more than this many 1s (I or L) are matched only with all I or all L. */
const MAX_AMBIGUOUS = 4;

/** A code for people (`7K2QD-M0XW9`) from `RECOVERY_CODE_RANDOM_BYTES` random bytes. */
export function formatRecoveryCode(random: Uint8Array): string {
  let bits = 0n;
  for (const byte of random) bits = (bits << 8n) | BigInt(byte);
  let code = "";
  for (let i = 0; i < CHARACTERS; i++) code += CROCKFORD[Number((bits >> BigInt(5 * (CHARACTERS - 1 - i) + 6)) & 31n)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** The code with case, width, separators and lookalikes folded; null when it cannot be a recovery code. */
export function foldRecoveryCode(input: string): string | null {
  const code = input
    .normalize("NFKC")
    .replace(SEPARATORS, "")
    .toUpperCase()
    .replace(/[OIL]/g, (letter) => LOOKALIKES[letter]!);
  return FOLDED_CODE.test(code) ? code : null;
}

/**
 * Every form a stored code typed as `folded` may have been kept under: the folded form (codes issued
 * or imported since the folding), and the RFC 4648 spellings of earlier codes, whose digits 0 and 1
 * people read from an O, an I or an L.
 */
export function storedFormsOf(folded: string): string[] {
  const forms = new Set([folded]);
  const earlier = folded.replaceAll("0", "O");
  const ones = [...earlier].flatMap((char, index) => (char === "1" ? [index] : []));
  const spell = (letters: string[]) => [...earlier].map((char, index) => (char === "1" ? letters[ones.indexOf(index)]! : char)).join("");
  const choices =
    ones.length <= MAX_AMBIGUOUS
      ? Array.from({ length: 2 ** ones.length }, (_, mask) => ones.map((_, bit) => ((mask >> bit) & 1 ? "L" : "I")))
      : [ones.map(() => "I"), ones.map(() => "L")];
  for (const letters of choices) {
    const form = spell(letters);
    if (RFC4648_CODE.test(form)) forms.add(form);
  }
  return [...forms];
}
