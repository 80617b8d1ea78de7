// TOTP verification inside workerd, for bench/totp-micro.mjs: `GET /?variant=ours|cachedkey&n=N`
// verifies one code over the ±1 window N times in one request; the caller reads workerd's CPU time.
import { constantTimeEqual, findMatchingStep } from "../../src/domain/totp";

// A fixed key: random values may not be drawn at module scope in workerd.
const key = new Uint8Array(20).map((_, i) => (i * 37 + 11) & 0xff);
let cachedKey: Promise<CryptoKey> | undefined;

async function cachedVerify(code: string, nowMs: number): Promise<number | null> {
  cachedKey ??= crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const hmacKey = await cachedKey;
  const now = Math.floor(nowMs / 30_000);
  const steps = [now, now - 1, now + 1];
  const candidates = await Promise.all(
    steps.map(async (counter) => {
      const message = new DataView(new ArrayBuffer(8));
      message.setUint32(0, Math.floor(counter / 2 ** 32));
      message.setUint32(4, counter % 2 ** 32);
      const mac = new DataView(await crypto.subtle.sign("HMAC", hmacKey, message));
      const offset = mac.getUint8(mac.byteLength - 1) & 0x0f;
      return String((mac.getUint32(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
    }),
  );
  let match: number | null = null;
  for (let i = 0; i < steps.length; i++) if (constantTimeEqual(candidates[i]!, code) && match === null) match = steps[i]!;
  return match;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? "1000");
    const variant = url.searchParams.get("variant") ?? "ours";
    const nowMs = Date.now();
    const code = "000000"; // matches no step (almost surely): all three HMACs, every time
    for (let i = 0; i < n; i++) {
      if (variant === "ours") await findMatchingStep(key, code, nowMs, 1);
      else await cachedVerify(code, nowMs);
    }
    return new Response(String(n));
  },
};
