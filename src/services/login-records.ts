// FusionAuth's Login Record API (https://fusionauth.io/docs/apis/login#search-login-records): the
// records live with each user, so a search names its user.
import { unwrap } from "../domain/failures";
import { userGuard } from "../objects/user-guard";
import type { LoginRecordQuery } from "../objects/user/login-records";
import type { Scope } from "./shared/scope";

export type LoginRecordView = { userId: string; applicationId?: string; instant: number; ipAddress?: string; loginId?: string; metaData?: unknown };

export async function searchLoginRecords(scope: Scope, userId: string, query: LoginRecordQuery): Promise<{ logins: LoginRecordView[]; total: number }> {
  const { logins, total } = unwrap(await userGuard(scope.env, userId).searchLogins(query, scope.now));
  return { logins: logins.map(({ metaData, ...login }) => ({ userId, ...login, ...(metaData ? { metaData: JSON.parse(metaData) as unknown } : {}) })), total };
}
