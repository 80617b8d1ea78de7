import { normalizeLoginId } from "../domain/user";
import { sha256Hex } from "./compare";

/**
 * A login id as a fixed-length name: any input makes a valid KV key (at most 512 bytes, well-formed
 * UTF-8) and Durable Object name, and keys do not spell out people's emails.
 */
export async function loginIdName(loginId: string): Promise<string> {
  return `login:${await sha256Hex(normalizeLoginId(loginId))}`;
}
