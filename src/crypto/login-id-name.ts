import { loginIdSkeleton } from "../domain/login-id";
import { normalizeLoginId } from "../domain/user";
import { sha256Hex } from "./compare";

const nameOf = async (form: string) => `login:${await sha256Hex(form)}`;

/**
 * A login id as a fixed-length name: any input makes a valid KV key (at most 512 bytes, well-formed
 * UTF-8) and Durable Object name, and keys do not spell out people's emails.
 */
export function loginIdName(loginId: string): Promise<string> {
  return nameOf(normalizeLoginId(loginId));
}

/**
 * The names a login id is claimed under: its own (the one the KV index maps to its user), then its
 * confusable skeleton's when that differs (only ids beyond ASCII have one, src/domain/login-id.ts).
 */
export async function loginIdClaimNames(loginId: string): Promise<string[]> {
  const forms = new Set([normalizeLoginId(loginId), loginIdSkeleton(loginId)]);
  return Promise.all(Array.from(forms, nameOf));
}
