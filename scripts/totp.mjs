// Prints the authenticator-app code for a secret, for trying the API with curl.
// Usage: node scripts/totp.mjs <secretBase32Encoded | --secret <Base64 secret>> [--step-offset N]
// Use --step-offset 1 for the next 30 s step: the server refuses a step it already accepted.
import { createHmac } from "node:crypto";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { secret: { type: "string" }, "step-offset": { type: "string", default: "0" } },
});

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of text.replace(/[\s=]/g, "").toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not Base32: ${char}`);
    bits += value.toString(2).padStart(5, "0");
  }
  return Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
}

const key = values.secret ? Buffer.from(values.secret, "base64") : positionals[0] && base32Decode(positionals[0]);
if (!key) {
  console.error("usage: node scripts/totp.mjs <secretBase32Encoded> | --secret <secret> [--step-offset N]");
  process.exit(2);
}
const counter = Buffer.alloc(8);
counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000) + Number(values["step-offset"])));
const hmac = createHmac("sha1", key).update(counter).digest();
const offset = hmac[19] & 0xf;
console.log(String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0"));
