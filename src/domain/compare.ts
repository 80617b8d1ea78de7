// Constant-time equality for secrets that meet user input (API keys, hashes). Hashing both sides
// first makes the comparison independent of length as well as content.
const encoder = new TextEncoder();

export async function secretsEqual(a: string | Uint8Array, b: string | Uint8Array): Promise<boolean> {
  const [da, db] = await Promise.all([digest(a), digest(b)]);
  return crypto.subtle.timingSafeEqual(da, db);
}

async function digest(value: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", typeof value === "string" ? encoder.encode(value) : value);
}

export async function sha256Hex(value: string): Promise<string> {
  const bytes = new Uint8Array(await digest(value));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
