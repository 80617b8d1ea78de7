// The HTTP edge of every failure: FusionAuth's status codes and `Errors` bodies, and its "the
// response will be empty" cases sent with no JSON content type (the official client rejects a 2xx
// application/json response without a body).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import { randomId } from "../../crypto/random";
import { Failure, type DeliveryFailure, type LoginPrevention, type Problem } from "../../domain/failures";
import type { AppEnv } from "./context";

export const empty = (status = 200, headers?: HeadersInit) => new Response(null, { status, headers });

const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...headers, "Content-Type": "application/json" } });

/** The id FusionAuth's Prevent Login action is reported under. */
const PREVENT_LOGIN_ACTION_ID = "00000000-0000-0000-0000-000000000042";

/** FusionAuth answers 409 with the user actions that prevent login. */
function loginPrevented({ until, reason }: LoginPrevention, nowMs: number): Response {
  const text = {
    password: { reason: "Too many failed login attempts", reasonCode: "failed_authentication" },
    "two-factor": { reason: "Too many failed two-factor codes", reasonCode: "failed_two_factor" },
  }[reason];
  const action = {
    actionId: PREVENT_LOGIN_ACTION_ID,
    expiry: until,
    localizedName: "Prevent Login Action",
    localizedReason: text.reason,
    name: "Prevent Login Action",
    reason: text.reason,
    reasonCode: text.reasonCode,
  };
  return json({ actions: [action] }, 409, { "Retry-After": String(Math.max(1, Math.ceil((until - nowMs) / 1000))) });
}

/**
 * FusionAuth's 421 for a code, with an empty body as its clients expect; a code that was right but
 * already used (RFC 6238 §5.2) says so in headers, with the seconds until the authenticator shows
 * a newer one, so a user can be told to wait rather than that their code is wrong.
 */
const usedCode = (nextCodeAt: number, nowMs: number) =>
  empty(421, { "X-Two-Factor-Reason": "CodeAlreadyUsed", "X-Two-Factor-Next-Code-In": String(Math.max(1, Math.ceil((nextCodeAt - nowMs) / 1000))) });

/**
 * An email that did not go out: a recipient the server refused is the request's own problem (400);
 * the rest is the mail server's: it refused our login or failed (502), could not be reached (503),
 * or did not answer in time (504) (RFC 9110 §15.6).
 */
const DELIVERY_STATUS = { rejected: 400, "refused-login": 502, error: 502, unreachable: 503, timeout: 504 } as const satisfies Record<DeliveryFailure, number>;

const generalErrors = (name: string, message: string) => ({ generalErrors: [{ code: `[${name}]`, message }] });

/** FusionAuth's answer to `problem`; `nowMs` (the request's time) for its Retry-After headers. */
function problemResponse(problem: Problem, nowMs: number): Response {
  switch (problem.kind) {
    case "invalid": {
      const fieldErrors: Record<string, Array<{ code: string; message: string }>> = {};
      for (const { field, type, message } of problem.errors) (fieldErrors[field] ??= []).push({ code: `[${type}]${field}`, message });
      return json({ fieldErrors }, 400);
    }
    case "general":
      return json(generalErrors(problem.name, problem.message), 400);
    case "too-many":
      return json(generalErrors("TooManyRequests", problem.message), 429, { "Retry-After": String(problem.retryAfterSeconds) });
    case "too-large":
      return json(generalErrors("TooLarge", problem.message), 413);
    case "delivery-failed":
      return json(generalErrors("EmailTwoFactorFailed", problem.message), DELIVERY_STATUS[problem.failure]);
    case "cross-site":
      return json(generalErrors("CrossSiteRequest", "A request with only the access_token cookie must come from this service's own origin."), 403);
    case "not-json":
      return json(generalErrors("UnsupportedMediaType", "A request with only the access_token cookie must send its body as application/json."), 415);
    case "prevented":
      return loginPrevented(problem.prevention, nowMs);
    case "unauthorized":
      return empty(401);
    case "not-found":
      return empty(404);
    case "expired":
      return empty(410);
    case "invalid-code":
      return problem.nextCodeAt === undefined ? empty(421) : usedCode(problem.nextCodeAt, nowMs);
    case "inactive":
      return empty(423);
  }
}

/**
 * The one log line of an unexpected error. It names the route by the pattern of the handler that
 * failed (e.g. `/api/two-factor/send/:twoFactorId`, https://hono.dev/docs/helpers/route), never the
 * URL, whose path may hold a live twoFactorId and whose query a code; the request body (passwords,
 * codes, trust ids) is not logged at all.
 */
export function errorResponse(error: unknown, c: Context<AppEnv>): Response {
  // The scope is missing only when the request failed before it was made.
  if (error instanceof Failure) return problemResponse(error.problem, c.var.scope?.now ?? Date.now());
  // Hono's own 4xx (e.g. a body that is not JSON) would otherwise be plain text.
  if (error instanceof HTTPException && error.status < 500) return json(generalErrors("invalid", error.message), error.status);
  // Made here, not for every request: only this answer and its log line carry it.
  const requestId = randomId();
  console.error(JSON.stringify({ event: "request.failed", requestId, method: c.req.method, route: routePath(c), error: describe(error) }));
  return empty(500, { "X-Request-Id": requestId });
}

/**
 * Runs of 20 or more Base64 / Base64URL characters (RFC 4648) that look random — mixed case or
 * digits: twoFactorIds and trust ids (43), 2FA secrets (20), JWT parts, API keys. Words and
 * CONSTANT_NAMES stay readable; UUIDs (user and request ids) are kept: they name records, they do
 * not open them.
 */
const TOKEN_LIKE = /[A-Za-z0-9+/_-]{20,}={0,2}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const looksRandom = (run: string) => !UUID.test(run) && (/\d/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run)));

/** An error as logged: its name and message, credential-like runs blanked in case a library echoed its input. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return "non-error thrown";
  return `${error.name}: ${error.message}`.replace(TOKEN_LIKE, (run) => (looksRandom(run) ? "[redacted]" : run));
}
