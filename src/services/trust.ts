// Trusted devices ("trust this computer" at a 2FA login): FusionAuth's two-factor status check
// (https://fusionauth.io/docs/apis/two-factor#retrieve-two-factor-status), and listing and revoking
// a user's devices, which are named by an id that cannot be used as a trust id.
import { unwrap } from "../domain/failures";
import type { TrustedDeviceView } from "../domain/guard-policy";
import { userGuard } from "../objects/user-guard";
import { unwrapFor, type Target } from "./shared/target";

export type TrustStatus = { trusted: boolean; device: TrustedDeviceView | null };

export async function trustStatus(env: Env, userId: string, trustId: string, nowMs: number): Promise<TrustStatus> {
  const { trusted, device } = unwrap(await userGuard(env, userId).trustStatus(trustId, nowMs));
  return { trusted, device };
}

export async function listTrustedDevices(env: Env, target: Target, nowMs: number): Promise<TrustedDeviceView[]> {
  return unwrapFor(target, await userGuard(env, target.userId).listTrust(target, nowMs)).devices;
}

/** Revokes the device `deviceId`, or every device; answers how many were revoked. */
export async function revokeTrustedDevices(env: Env, target: Target, deviceId: string | undefined, nowMs: number): Promise<number> {
  return unwrapFor(target, await userGuard(env, target.userId).revokeTrust(target, deviceId, nowMs)).revoked;
}
