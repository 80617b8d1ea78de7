// Plays the authenticator app for trying the API with curl: prints the code an app shows for a
// secret (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits). The server accepts the code of the current
// step or of one step either side, and each step once per user (RFC 6238 §5.2): right after a code
// was used, send the next step's (--next), or wait for the app to show a new one (--wait).
import { createHmac } from "node:crypto";
import { parseArgs } from "node:util";

const STEP_MS = 30_000;
const USAGE = `usage: node scripts/totp.mjs <secretBase32Encoded> [--wait] [--next]
       node scripts/totp.mjs --secret <Base64 secret> [--wait] [--next]

Prints the six-digit code an authenticator app shows now for the secret.
  --secret <s>  the API's "secret" (Base64) instead of its "secretBase32Encoded"
  --wait        first wait until the app shows a new code (up to 30 s), then print that one
  --next        the code of the next 30 s step, which the server already accepts: for when
                the code shown now was just used
  -h, --help    this text`;

function usageError(message) {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      secret: { type: "string" },
      wait: { type: "boolean", default: false },
      next: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  usageError(error.message);
}
const { values, positionals } = args;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of text.replace(/[\s=]/g, "").toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) usageError(`not Base32: ${char}`);
    bits += value.toString(2).padStart(5, "0");
  }
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
}

const key = values.secret ? Buffer.from(values.secret, "base64") : positionals[0] && base32Decode(positionals[0]);
if (!key?.length) usageError("a secret is required");

let step = Math.floor(Date.now() / STEP_MS);
if (values.wait) {
  step += 1;
  const waitMs = step * STEP_MS - Date.now();
  console.error(`waiting ${Math.ceil(waitMs / 1000)} s for the next code…`);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
}
if (values.next) step += 1;

const counter = Buffer.alloc(8);
counter.writeBigUInt64BE(BigInt(step));
const hmac = createHmac("sha1", key).update(counter).digest();
const offset = hmac[19] & 0xf;
console.log(String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0"));
