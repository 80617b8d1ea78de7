// Codes the enable helper (`POST /api/two-factor/send {mobilePhone, secret}`) texted, remembered
// by a hash of the secret so a slow SMS still enables 2FA. The secret itself is not stored.
import { sha256Hex } from "../crypto/compare";
import { encodeBase64 } from "../domain/encoding";
import type { SentCode } from "../domain/account";

const MIN_KV_TTL_SECONDS = 60;

async function keyFor(secretKey: Uint8Array): Promise<string> {
  return `v1:enrolment-sms:${await sha256Hex(encodeBase64(secretKey))}`;
}

export async function readEnrolmentCodes(kv: KVNamespace, secretKey: Uint8Array): Promise<SentCode[]> {
  return (await kv.get<SentCode[]>(await keyFor(secretKey), "json")) ?? [];
}

export async function forgetEnrolmentCode(kv: KVNamespace, secretKey: Uint8Array, step: number): Promise<void> {
  const codes = (await readEnrolmentCodes(kv, secretKey)).filter((code) => code.step !== step);
  await kv.put(await keyFor(secretKey), JSON.stringify(codes), { expirationTtl: MIN_KV_TTL_SECONDS });
}

export async function rememberEnrolmentCode(kv: KVNamespace, secretKey: Uint8Array, sent: SentCode, nowMs: number): Promise<void> {
  const codes = [...(await readEnrolmentCodes(kv, secretKey)).filter((code) => code.expiresAt > nowMs), sent].slice(-10);
  const ttl = Math.max(MIN_KV_TTL_SECONDS, Math.ceil((sent.expiresAt - nowMs) / 1000));
  await kv.put(await keyFor(secretKey), JSON.stringify(codes), { expirationTtl: ttl });
}
