const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const BASE64_VALUES = valuesOf(BASE64_ALPHABET);
const BASE64URL_VALUES = valuesOf(BASE64URL_ALPHABET);
// Lower case gets its own entries rather than upper-casing the input, because
// toUpperCase() maps some non-ASCII letters (e.g. "ı" → "I") onto the alphabet.
const BASE32_VALUES = valuesOf(BASE32_ALPHABET, BASE32_ALPHABET.toLowerCase());

/** Each character of the alphabets → its index in its alphabet (a fixed lookup table). */
function valuesOf(...alphabets: string[]): ReadonlyMap<string, number> {
  return new Map(alphabets.flatMap((alphabet) => [...alphabet].map((char, index) => [char, index] as const)));
}

function encodeBits(bytes: Uint8Array, alphabet: string, bitsPerChar: number): string {
  const mask = (1 << bitsPerChar) - 1;
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= bitsPerChar) {
      bits -= bitsPerChar;
      out += alphabet[(buffer >> bits) & mask];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (bitsPerChar - bits)) & mask];
  return out;
}

// Unused low bits of the last character are ignored rather than rejected, as
// Java's Base64 decoder (used by FusionAuth) does. A remainder of a whole
// character or more means the text was truncated, so it is rejected.
function decodeBits(text: string, values: ReadonlyMap<string, number>, bitsPerChar: number): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * bitsPerChar) / 8));
  let length = 0;
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = values.get(char);
    if (value === undefined) return null;
    buffer = (buffer << bitsPerChar) | value;
    bits += bitsPerChar;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = buffer >> bits;
      buffer &= (1 << bits) - 1;
    }
  }
  if (bits >= bitsPerChar) return null;
  return out.subarray(0, length);
}

export function encodeBase64(bytes: Uint8Array): string {
  const text = encodeBits(bytes, BASE64_ALPHABET, 6);
  return text.padEnd(Math.ceil(text.length / 4) * 4, "=");
}

export function decodeBase64(text: string): Uint8Array | null {
  const unpadded = text.endsWith("==") ? text.slice(0, -2) : text.endsWith("=") ? text.slice(0, -1) : text;
  // Padding is optional, but when present it must complete the final quantum.
  if (unpadded !== text && text.length % 4 !== 0) return null;
  return decodeBits(unpadded, BASE64_VALUES, 6);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBits(bytes, BASE64URL_ALPHABET, 6);
}

export function decodeBase64Url(text: string): Uint8Array | null {
  return decodeBits(text, BASE64URL_VALUES, 6);
}

export function encodeBase32(bytes: Uint8Array): string {
  return encodeBits(bytes, BASE32_ALPHABET, 5);
}

// Lenient about presentation because people type these from authenticator
// screens, which group characters with spaces and may show either case.
export function decodeBase32(text: string): Uint8Array | null {
  return decodeBits(text.replaceAll(" ", "").replace(/=+$/, ""), BASE32_VALUES, 5);
}
