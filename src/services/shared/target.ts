// Who a user-scoped call acts on, and how its failures read to that caller.
import { fail, type Outcome, type Problem } from "../../domain/failures";
import type { Caller } from "../../objects/user-guard";

/** The user a call acts on: by id with an API key, or the JWT's subject (`issuedAt` set). */
export type Target = { userId: string } & Caller;

/** An unknown user is 404 to an API key, 401 to a JWT (its subject is gone). */
export function unwrapFor<T>(target: Target, outcome: Outcome<T>): T {
  if (outcome.ok) return outcome;
  const problem: Problem = outcome.problem.kind === "not-found" && target.issuedAt !== undefined ? { kind: "unauthorized" } : outcome.problem;
  throw fail(problem);
}
