// TOTP verification inside workerd, for bench/totp-micro.mjs: `GET /?variant=ours|cachedkey&n=N`
// verifies one code over the ±1 window N times in one request; the caller reads workerd's CPU time.
import { findMatchingStep, findMatchingStepIn, importTotpKey } from "../../src/crypto/totp";
import { stepsAround } from "../../src/domain/totp";

// A fixed key: random values may not be drawn at module scope in workerd.
const key = new Uint8Array(20).map((_, i) => (i * 37 + 11) & 0xff);
let cachedKey: Promise<CryptoKey> | undefined;

/** As the user's object verifies: the key imported once. */
async function cachedVerify(code: string, nowMs: number): Promise<number | null> {
  cachedKey ??= importTotpKey(key);
  return findMatchingStepIn(await cachedKey, code, stepsAround(nowMs));
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
