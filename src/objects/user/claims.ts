// A user's hold on their login ids (emails and usernames): one IdentifierClaim object per login id
// keeps it unique under concurrent creates and updates, and writes its KV index entry.
import { loginIdName } from "../../crypto/login-id-name";
import type { Outcome } from "../../domain/failures";
import { loginIdTaken } from "../../domain/problems";
import { sameLoginId, type LoginId } from "../../domain/user";

/** The login ids in `ids` that `others` lacks. */
export const without = (ids: LoginId[], others: LoginId[]) => ids.filter((id) => !others.some((other) => sameLoginId(other.value, id.value)));

export class LoginIdClaims {
  constructor(private readonly namespace: Env["IDENTIFIER_CLAIM"]) {}

  /** Claims the `wanted` login ids that `held` lacks; on a conflict releases what it took. */
  async claim(userId: string, wanted: LoginId[], held: LoginId[]): Promise<Outcome<object>> {
    const taken: LoginId[] = [];
    try {
      for (const loginId of without(wanted, held)) {
        const name = await loginIdName(loginId.value);
        const owner = await this.claimObject(name).claim(name, userId);
        if (owner !== userId) {
          await this.release(userId, taken);
          return { ok: false, problem: loginIdTaken(loginId) };
        }
        taken.push(loginId);
      }
    } catch (error) {
      // Leave no claim behind that no account backs.
      await this.release(userId, taken).catch(() => undefined);
      throw error;
    }
    return { ok: true };
  }

  /** Releases login ids; runs every release even when some fail, then fails with the first failure. */
  async release(userId: string, loginIds: LoginId[]): Promise<void> {
    const results = await Promise.allSettled(loginIds.map(async ({ value }) => this.claimObject(await loginIdName(value)).release(userId)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
  }

  private claimObject(name: string) {
    return this.namespace.get(this.namespace.idFromName(name));
  }
}
