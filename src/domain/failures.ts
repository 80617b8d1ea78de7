// What can go wrong, in the API's own terms. Services and Durable Objects report a `Problem`; the
// HTTP edge (src/routes/http/respond.ts) turns each kind into FusionAuth's status and body, so
// nothing below the routes knows about HTTP.

export type FieldProblem = { field: string; type: string; message: string };

/** Why login is prevented: FusionAuth's "Prevent Login" user action, until `until` (ms). */
export type LoginPrevention = { until: number; reason: "password" | "two-factor" };

/**
 * Why an email did not go out (src/email/send.ts). `refused-login`: the SMTP server refused the
 * credentials. `unreachable`: no connection (refused, reset, no route). `timeout`: no answer in
 * time. `rejected`: a final no to this message (a 5xx to MAIL, RCPT or DATA; the binding refusing
 * the sender or recipient). `error`: anything else.
 */
export type DeliveryFailure = "refused-login" | "unreachable" | "timeout" | "rejected" | "error";

export type Problem =
  /** FusionAuth field errors, `[type]field` (e.g. `[blank]user.email`). */
  | { kind: "invalid"; errors: FieldProblem[] }
  /** A FusionAuth general error, `[name]` (e.g. `[TwoFactorNotEnabled]`). */
  | { kind: "general"; name: string; message: string }
  | { kind: "unauthorized" }
  | { kind: "not-found" }
  /** `nextCodeAt` (ms): the code was right but already used (RFC 6238 §5.2); a newer one comes then. */
  | { kind: "invalid-code"; nextCodeAt?: number }
  | { kind: "prevented"; prevention: LoginPrevention }
  | { kind: "expired" }
  | { kind: "inactive" }
  | { kind: "too-many"; retryAfterSeconds: number; message: string }
  | { kind: "too-large"; message: string }
  /** An email that did not go out: the server refused our login or the recipient, could not be reached, or did not answer in time. */
  | { kind: "delivery-failed"; failure: DeliveryFailure; message: string }
  /** A request carrying only the access_token cookie from another site, or with a body that is not JSON. */
  | { kind: "cross-site" }
  | { kind: "not-json" };

/** A Problem as an exception, for code paths that unwind to the HTTP edge. */
export class Failure extends Error {
  constructor(readonly problem: Problem) {
    super(`failure: ${problem.kind}`);
  }
}

export const fail = (problem: Problem) => new Failure(problem);

/** One field error, e.g. `invalidField("user.email", "duplicate", "…")`. */
export const invalidField = (field: string, type: string, message: string) => fail({ kind: "invalid", errors: [{ field, type, message }] });

export const generalFailure = (name: string, message: string) => fail({ kind: "general", name, message });

/** Too many texts: 429 with `Retry-After`. */
export const tooManySendsProblem = (retryAfterSeconds: number): Problem => ({
  kind: "too-many",
  retryAfterSeconds,
  message: `Too many codes were sent. Try again in ${retryAfterSeconds} seconds.`,
});

export const tooManySends = (retryAfterSeconds: number) => fail(tooManySendsProblem(retryAfterSeconds));

export const twoFactorNotEnabled: Problem = {
  kind: "general",
  name: "TwoFactorNotEnabled",
  message: "Two factor authentication is not enabled for this user.",
};

/** A Problem carried across a Durable Object call (exceptions lose their class on the way). */
export type Outcome<T> = ({ ok: true } & T) | { ok: false; problem: Problem };

/** The value of an Outcome, or its Problem thrown. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw fail(outcome.problem);
  return outcome;
}

/** Runs `step`; a thrown Failure becomes a failed Outcome, anything else propagates. */
export async function capture<T>(step: () => Promise<T> | T): Promise<Outcome<{ value: T }>> {
  try {
    return { ok: true, value: await step() };
  } catch (error) {
    if (error instanceof Failure) return { ok: false, problem: error.problem };
    throw error;
  }
}
