// Trusted devices ("trust this computer" at a 2FA login): FusionAuth's two-factor status check
// (https://fusionauth.io/docs/apis/two-factor#retrieve-two-factor-status), and listing and revoking
// a user's devices, which are named by an id that cannot be used as a trust id.
import { unwrap } from "../domain/failures";
import type { TrustedDeviceView } from "../domain/trust";
import { userGuard } from "../objects/user-guard";
import { emit } from "./shared/events";
import type { Scope } from "./shared/scope";
import { unwrapFor, type Target } from "./shared/target";

export type TrustStatus = { trusted: boolean; device: TrustedDeviceView | null };

/** Whether a login of user `userId` presenting `trustId` (or none) would skip the second factor. */
export async function trustStatus(scope: Scope, userId: string, trustId: string | undefined): Promise<TrustStatus> {
  const { trusted, device } = unwrap(await userGuard(scope.env, userId).trustStatus(trustId, scope.now));
  return { trusted, device };
}

export async function listTrustedDevices(scope: Scope, target: Target): Promise<TrustedDeviceView[]> {
  return unwrapFor(target, await userGuard(scope.env, target.userId).listTrust(target, scope.now)).devices;
}

/** Revokes the device `deviceId`, or every device; answers how many were revoked (user.trust.revoked when any). */
export async function revokeTrustedDevices(scope: Scope, target: Target, deviceId: string | undefined): Promise<number> {
  const { revoked } = unwrapFor(target, await userGuard(scope.env, target.userId).revokeTrust(target, deviceId, scope.now));
  if (revoked) emit(scope, { type: "user.trust.revoked", userId: target.userId, info: { reason: "api", count: revoked } });
  return revoked;
}
