// The user a user-scoped call acts on: the `userId` (path, query or body) with an API key, the
// JWT's subject otherwise (a user can act only on themselves).
import type { Context } from "hono";
import { invalidField } from "../../domain/failures";
import type { AppEnv } from "./context";
import { idParam } from "./validate";

/** The services' `Target`: `tokenStamp` (the access token's) only for a user acting on themselves. */
export function target(c: Context<AppEnv>, bodyUserId?: string | null): { userId: string; tokenStamp?: string } {
  const auth = c.var.auth;
  if (auth.kind === "jwt") return { userId: auth.userId, tokenStamp: auth.tokenStamp };
  const requested = c.req.param("userId") ?? c.req.query("userId") ?? bodyUserId ?? undefined;
  if (!requested) throw invalidField("userId", "blank", "The [userId] is required when calling with an API key.");
  return { userId: idParam("userId", requested) };
}
