// A user's hold on their login ids (emails and usernames): one IdentifierClaim object per login id
// keeps it unique under concurrent creates and updates, and writes its KV index entry. A login id
// beyond ASCII also holds the object of its confusable skeleton (src/domain/login-id.ts), unindexed,
// so a lookalike of it, or of an id it looks like, finds that object taken.
import { loginIdClaimNames } from "../../crypto/login-id-name";
import type { Outcome } from "../../domain/failures";
import { loginIdTaken } from "../../domain/problems";
import type { LoginId } from "../../domain/user";

/** One claim object a user holds for `loginId`: its own name (`indexed`) or its skeleton's. */
type Claim = { name: string; indexed: boolean; loginId: LoginId };

/** The claims behind `loginIds`, one per name; a name that is one id's own and another's skeleton is indexed. */
async function claimsOf(loginIds: LoginId[]): Promise<Claim[]> {
  const claims = new Map<string, Claim>();
  for (const loginId of loginIds) {
    const [own, ...skeleton] = await loginIdClaimNames(loginId.value);
    claims.set(own!, { name: own!, indexed: true, loginId });
    for (const name of skeleton) if (!claims.has(name)) claims.set(name, { name, indexed: false, loginId });
  }
  return [...claims.values()];
}

const names = (claims: Claim[]) => new Set(claims.map((claim) => claim.name));

export class LoginIdClaims {
  constructor(private readonly namespace: Env["IDENTIFIER_CLAIM"]) {}

  /**
   * Takes the claims of the `wanted` login ids that `held` lacks (and indexes or unindexes those
   * whose role changes); on a conflict releases what it took and changes nothing else.
   */
  async claim(userId: string, wanted: LoginId[], held: LoginId[]): Promise<Outcome<object>> {
    const before = await claimsOf(held);
    const heldNames = names(before);
    const changes = (await claimsOf(wanted)).filter((claim) => !before.some((old) => old.name === claim.name && old.indexed === claim.indexed));
    const taken: string[] = [];
    try {
      // New names first: only they can be refused; a role change of a name held cannot.
      for (const claim of changes.filter((change) => !heldNames.has(change.name))) {
        const owner = await this.claimObject(claim.name).claim(claim.name, userId, claim.indexed);
        if (owner !== userId) {
          await this.releaseNames(userId, taken);
          return { ok: false, problem: loginIdTaken(claim.loginId) };
        }
        taken.push(claim.name);
      }
      for (const claim of changes.filter((change) => heldNames.has(change.name))) await this.claimObject(claim.name).claim(claim.name, userId, claim.indexed);
    } catch (error) {
      // Leave no claim behind that no account backs.
      await this.releaseNames(userId, taken).catch(() => undefined);
      throw error;
    }
    return { ok: true };
  }

  /** Releases the claims of `loginIds` that `kept` does not also need; runs every release even when some fail, then fails with the first failure. */
  async release(userId: string, loginIds: LoginId[], kept: LoginId[] = []): Promise<void> {
    const keep = names(await claimsOf(kept));
    await this.releaseNames(
      userId,
      [...names(await claimsOf(loginIds))].filter((name) => !keep.has(name)),
    );
  }

  private async releaseNames(userId: string, claimNames: string[]): Promise<void> {
    const results = await Promise.allSettled(claimNames.map((name) => this.claimObject(name).release(userId)));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failure) throw failure.reason;
  }

  private claimObject(name: string) {
    return this.namespace.get(this.namespace.idFromName(name));
  }
}
