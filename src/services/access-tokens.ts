// Access tokens are checked against their user's object on every request that carries one: the
// signature says whom a token was issued to, the account's token stamp whether it still speaks for
// them (src/domain/account.ts, Guard.tokenStamp). The object, not the KV replica, is the authority.
import { userGuard } from "../objects/user-guard";
import type { Scope } from "./shared/scope";

/** Whether a signed access token of `userId` carrying `tokenStamp` is still good: one call to the user's object. */
export const tokenAccepted = (scope: Scope, userId: string, tokenStamp: string): Promise<boolean> => userGuard(scope.env, userId).acceptsToken(tokenStamp);
