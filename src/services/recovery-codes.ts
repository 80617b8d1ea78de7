// Recovery codes (FusionAuth 1.26+ shape): a new set of ten replaces the last; the codes are shown
// once, in this answer, and kept only as keyed hashes in the user's object.
import { newRecoveryCodes, sealRecoveryCodes } from "../crypto/recovery-codes";
import { userGuard } from "../objects/user-guard";
import type { Scope } from "./shared/scope";
import { unwrapChecked, type Target } from "./shared/target";

/** A new set for the target, allowed by `code` (a current code or a recovery code), which the user's own access token must send. */
export async function generateRecoveryCodes(scope: Scope, target: Target, code: string | undefined): Promise<string[]> {
  const { env } = scope;
  const codes = newRecoveryCodes();
  const hashes = (await sealRecoveryCodes(env.ENCRYPTION_KEY, target.userId, codes))!;
  unwrapChecked(scope, target, await userGuard(env, target.userId).replaceRecoveryCodes(target, hashes, code, scope.now));
  return codes;
}
