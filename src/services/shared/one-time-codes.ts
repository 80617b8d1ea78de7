// A one-time code for user `userId` (a send, or Start without a caller's code) and its stored form,
// made before the call to the user's object so the object only keeps the hash.
import { oneTimeCodeHash } from "../../crypto/one-time-codes";
import { newOneTimeCode } from "../../crypto/random";
import type { OneTimeCodeDraft } from "../../objects/user/results";

export async function newOneTimeCodeFor(env: Env, userId: string, code = newOneTimeCode()): Promise<OneTimeCodeDraft> {
  return { code, hash: await oneTimeCodeHash(env.ENCRYPTION_KEY, userId, code) };
}
