// Response helpers: FusionAuth's "the response will be empty" cases must carry no JSON content
// type (the official client rejects a 2xx application/json response without a body, REF §2.5).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, generalError } from "../domain/errors";
import type { AppEnv } from "./context";

export const empty = (status = 200, headers?: HeadersInit) => new Response(null, { status, headers });

export function errorResponse(error: unknown, c: Context<AppEnv>): Response {
  const known = toApiError(error);
  if (known) {
    const headers = new Headers(known.headers);
    if (known.body === undefined) return empty(known.status, headers);
    headers.set("Content-Type", "application/json");
    return new Response(JSON.stringify(known.body), { status: known.status, headers });
  }
  const requestId = c.get("requestId");
  console.error(JSON.stringify({ event: "request.failed", requestId, method: c.req.method, route: c.req.routePath, error: describe(error) }));
  return empty(500, { "X-Request-Id": requestId ?? "" });
}

function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  // Hono's own 4xx (e.g. a body that is not JSON) would otherwise be plain text.
  if (error instanceof HTTPException && error.status < 500) return generalError("invalid", error.message, error.status);
  return null;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : "non-error thrown";
}
