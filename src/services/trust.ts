// Trusted devices ("trust this computer" at a 2FA login): FusionAuth's two-factor status check
// (https://fusionauth.io/docs/apis/two-factor#retrieve-two-factor-status), and listing and revoking
// a user's devices, which are named by an id that cannot be used as a trust id.
import { unwrap } from "../domain/failures";
import type { TrustedDeviceView } from "../domain/trust";
import { userGuard } from "../objects/user-guard";
import { emit, type Background } from "./shared/events";
import { unwrapFor, type Target } from "./shared/target";

export type TrustStatus = { trusted: boolean; device: TrustedDeviceView | null };

export async function trustStatus(env: Env, userId: string, trustId: string, nowMs: number): Promise<TrustStatus> {
  const { trusted, device } = unwrap(await userGuard(env, userId).trustStatus(trustId, nowMs));
  return { trusted, device };
}

export async function listTrustedDevices(env: Env, target: Target, nowMs: number): Promise<TrustedDeviceView[]> {
  return unwrapFor(target, await userGuard(env, target.userId).listTrust(target, nowMs)).devices;
}

/** Revokes the device `deviceId`, or every device; answers how many were revoked (user.trust.revoked when any). */
export async function revokeTrustedDevices(env: Env, target: Target, deviceId: string | undefined, nowMs: number, background: Background): Promise<number> {
  const { revoked } = unwrapFor(target, await userGuard(env, target.userId).revokeTrust(target, deviceId, nowMs));
  if (revoked) emit(env, background, { type: "user.trust.revoked", userId: target.userId, info: { reason: "api", count: revoked } });
  return revoked;
}
