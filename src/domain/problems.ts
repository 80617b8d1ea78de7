// The FusionAuth errors a user's Durable Object answers with, named once: the object reports these
// Problems and the HTTP edge (src/routes/http/respond.ts) turns them into status and body.
import type { FieldProblem, LoginPrevention, Problem } from "./failures";
import type { LoginId } from "./user";

const invalid = (...errors: FieldProblem[]): Problem => ({ kind: "invalid", errors });

export const notFound: Problem = { kind: "not-found" };

export const userIdTaken = (id: string): Problem => invalid({ field: "userId", type: "duplicate", message: `A User with Id = [${id}] already exists.` });

/** A login id (email or username) another user holds; `field` names it in the request. */
export const loginIdTaken = ({ kind, value }: LoginId, field = `user.${kind}`): Problem =>
  invalid({ field, type: "duplicate", message: `A User with ${kind} = [${value}] already exists.` });

/** A change the user's object would have to store beyond its storage's limits (the request limits make this unreachable). */
export const tooLargeToStore: Problem = { kind: "too-large", message: "The change would make the user's stored state too large." };

export const twoFactorAlreadyEnabled: Problem = {
  kind: "general",
  name: "TwoFactorEnabled",
  message: "Two factor authentication is already enabled for this user. Disable it before enabling it again.",
};

/** Enabling TextMessage delivery for a user without a mobile phone. */
export const needsPhone: Problem = invalid({
  field: "user.mobilePhone",
  type: "blank",
  message: "The user needs a [mobilePhone] to use TextMessage delivery.",
});

/** A change a user's own access token asks for, which only a fresh code of their 2FA may allow. */
export const codeRequired: Problem = invalid({
  field: "code",
  type: "blank",
  message: "The [code] property is required: a current code of the user's two factor authentication, or one of their recovery codes.",
});

/** Texting a code to a user without a mobile phone. */
export const noPhone: Problem = invalid({ field: "user.mobilePhone", type: "blank", message: "The user has no [mobilePhone] to send a code to." });

/** A code that was refused: wrong or replayed (`nextCodeAt`), or refused unseen while login is locked. */
export function codeProblem(verdict: { outcome: "invalid-code"; nextCodeAt?: number } | { outcome: "prevented"; prevention: LoginPrevention }): Problem {
  return verdict.outcome === "prevented" ? { kind: "prevented", prevention: verdict.prevention } : { kind: "invalid-code", nextCodeAt: verdict.nextCodeAt };
}

/** A `methodId` the user does not have (FusionAuth's message, 1.26+). */
export const unknownMethod: Problem = invalid({
  field: "methodId",
  type: "invalid",
  message: "The [methodId] is not valid. No two-factor method with this Id was found enabled for the user.",
});

/** A send to a method no code can be sent to (an authenticator app). */
export const cannotSend: Problem = invalid({ field: "methodId", type: "cannotSend", message: "A code cannot be sent to an authenticator app." });

/** A `twoFactorId` that names no live pending login, on a send by method (FusionAuth answers 400 there, 404 elsewhere). */
export const invalidTwoFactorId: Problem = invalid({ field: "twoFactorId", type: "invalid", message: "The [twoFactorId] is not valid or has expired." });

/** Enabling a method with a code sent to another phone or address than the one being enabled. */
export const addressMismatch = (field: "mobilePhone" | "email"): Problem =>
  invalid({ field, type: "mismatch", message: `The [${field}] is not the one the code was sent to.` });

export const tooManyMethods: Problem = invalid({ field: "method", type: "tooMany", message: "The user has as many two-factor methods as allowed." });
