// Trusted devices ("trust this computer"): which trust ids skip the second factor, how operators
// see and revoke them. A device is kept under the SHA-256 of its trust id and named by a prefix of it.
import type { Config } from "./config";
import { draft, type Account, type Decision, type Guard, type TrustedDevice } from "./account";
import { twoFactorEnabled } from "./user";

/** A trusted device as operators see it: named by a prefix of the hash, never the trust id. */
export type TrustedDeviceView = { id: string; applicationId?: string; issuedInstant: number; lastUsedInstant: number; expirationInstant: number };

const MAX_TRUSTED_DEVICES = 20;
/** How long the name of a trusted device is: a prefix of its hash, enough to tell 20 devices apart. */
const DEVICE_ID_LENGTH = 16;

/** The trusted device whose trust id hashes to `trustHash`, while it is valid. */
export const trustedDevice = (guard: Guard, trustHash: string | undefined, nowMs: number): TrustedDevice | null => {
  const device = trustHash !== undefined && Object.hasOwn(guard.trust, trustHash) ? guard.trust[trustHash]! : null;
  return device && device.expiresAt > nowMs ? device : null;
};

const deviceView = (hash: string, device: TrustedDevice): TrustedDeviceView => ({
  id: hash.slice(0, DEVICE_ID_LENGTH),
  applicationId: device.applicationId,
  issuedInstant: device.issuedAt,
  lastUsedInstant: device.lastUsedAt,
  expirationInstant: device.expiresAt,
});

/** The user's valid trusted devices, most recently used first. */
export function trustedDevices(guard: Guard, nowMs: number): TrustedDeviceView[] {
  return Object.entries(guard.trust)
    .filter(([, device]) => device.expiresAt > nowMs)
    .sort(([, a], [, b]) => b.lastUsedAt - a.lastUsedAt)
    .map(([hash, device]) => deviceView(hash, device));
}

/**
 * FusionAuth's two-factor status: whether a login carrying `trustHash` would skip the second factor
 * (always, without 2FA), and the device it names while that is valid.
 */
export function trustStatus(account: Account, trustHash: string | undefined, nowMs: number): { trusted: boolean; device: TrustedDeviceView | null } {
  const device = trustHash === undefined ? null : trustedDevice(account.guard, trustHash, nowMs);
  return { trusted: !twoFactorEnabled(account.user) || device !== null, device: device && deviceView(trustHash!, device) };
}

/** Revokes the trusted device named `deviceId`, or every one when it is undefined; not-found for an unknown name. */
export function revokeTrust(
  account: Account,
  deviceId: string | undefined,
  nowMs: number,
): Decision<{ outcome: "revoked"; count: number } | { outcome: "not-found" }> {
  const live = trustedDevices(account.guard, nowMs);
  const revoked = deviceId === undefined ? live : live.filter((device) => device.id === deviceId);
  if (deviceId !== undefined && !revoked.length) return { next: null, outcome: { outcome: "not-found" } };
  const next = draft(account);
  next.guard.trust = Object.fromEntries(
    Object.entries(next.guard.trust).filter(([hash, device]) => device.expiresAt > nowMs && !revoked.some((gone) => hash.startsWith(gone.id))),
  );
  return { next, outcome: { outcome: "revoked", count: revoked.length } };
}

/** Trusts the device of `trustHash` on a draft's guard, keeping the newest live devices up to the cap. */
export function trustDevice(guard: Guard, trustHash: string, nowMs: number, config: Config, applicationId?: string): void {
  const live = Object.entries(guard.trust).filter(([, device]) => device.expiresAt > nowMs);
  live.sort(([, a], [, b]) => b.expiresAt - a.expiresAt);
  const device = { issuedAt: nowMs, lastUsedAt: nowMs, expiresAt: nowMs + config.twoFactorTrustIdTtlSeconds * 1000, applicationId };
  guard.trust = { ...Object.fromEntries(live.slice(0, MAX_TRUSTED_DEVICES - 1)), [trustHash]: device };
}

/** How many of the valid trusted devices of `before` are gone in `after` (for user.trust.revoked). */
export function revokedTrustCount(before: Account, after: Account, nowMs: number): number {
  const kept = new Set(trustedDevices(after.guard, nowMs).map((device) => device.id));
  return trustedDevices(before.guard, nowMs).filter((device) => !kept.has(device.id)).length;
}
