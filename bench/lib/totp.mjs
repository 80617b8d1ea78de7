// RFC 4226/6238 codes for the load generator, with node:crypto (cheap enough to precompute codes
// for every user and step). Cross-checked against otplib at start-up (see checkAgainstOtplib).
import { createHmac, randomBytes } from "node:crypto";
import otplib from "otplib";

export const PERIOD_MS = 30_000;
export const stepAt = (ms = Date.now()) => Math.floor(ms / PERIOD_MS);

export function hotp(key, counter) {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter % 2 ** 32, 4);
  const mac = createHmac("sha1", key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
export function base32(bytes) {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** A secret as FusionAuth's API takes it: Base64 of the HMAC key (20 random bytes, like /api/two-factor/secret). */
export function newSecret() {
  const key = randomBytes(20);
  return { key, secret: key.toString("base64"), base32: base32(key) };
}

/** Throws unless our codes equal otplib's authenticator for the same key and time. */
export function checkAgainstOtplib() {
  const { key, base32: encoded } = newSecret();
  const now = Date.now();
  const authenticator = otplib.authenticator.clone({ epoch: now });
  const expected = authenticator.generate(encoded);
  const ours = hotp(key, stepAt(now));
  if (expected !== ours) throw new Error(`TOTP mismatch with otplib: ${ours} != ${expected}`);
}
