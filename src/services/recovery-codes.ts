// Recovery codes (FusionAuth 1.26+ shape): a new set of ten replaces the last; the codes are shown
// once, in this answer, and kept only as keyed hashes in the user's object.
import { hashRecoveryCodes, newRecoveryCodes } from "../crypto/recovery-codes";
import { userGuard } from "../objects/user-guard";
import type { Scope } from "./shared/scope";
import { unwrapFor, type Target } from "./shared/target";

export async function generateRecoveryCodes({ env }: Scope, target: Target): Promise<string[]> {
  const codes = newRecoveryCodes();
  const hashes = (await hashRecoveryCodes(env.ENCRYPTION_KEY, target.userId, codes))!;
  unwrapFor(target, await userGuard(env, target.userId).replaceRecoveryCodes(target, hashes));
  return codes;
}
