// Who a user-scoped call acts on, and how its failures read to that caller.
import { fail, type Outcome, type Problem } from "../../domain/failures";
import type { Caller, CodeChecked } from "../../objects/user/results";
import { emit } from "./events";
import type { Scope } from "./scope";

/** The user a call acts on: by id with an API key, or the access token's subject (`tokenStamp` set). */
export type Target = { userId: string } & Caller;

/** An unknown user is 404 to an API key, 401 to an access token (its subject is gone). */
export function unwrapFor<T>(target: Target, outcome: Outcome<T>): T {
  if (outcome.ok) return outcome;
  const problem: Problem = outcome.problem.kind === "not-found" && target.tokenStamp !== undefined ? { kind: "unauthorized" } : outcome.problem;
  throw fail(problem);
}

/** As `unwrapFor`, for a change a code allows: the wrong code that locked login sends user.action, as a login's does. */
export function unwrapChecked<T>(scope: Scope, target: Target, result: CodeChecked<T>): T {
  if (!result.ok && "locked" in result) {
    const { reason, until } = result.locked;
    emit(scope, { type: "user.action", userId: target.userId, info: { action: "prevent-login", reason, expiry: until } });
  }
  return unwrapFor<T>(target, result);
}
