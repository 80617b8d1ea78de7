// Trusted devices: FusionAuth's two-factor status (`GET /api/two-factor/status/{twoFactorTrustId}`,
// https://fusionauth.io/docs/apis/two-factor#retrieve-two-factor-status: 200 when a login with that
// trust id skips the second factor, 242 when it would be challenged), and a user's devices, listed
// and revoked by their `id` (a name, not a credential).
import { Hono, type Context } from "hono";
import { z } from "zod";
import { listTrustedDevices, revokeTrustedDevices, trustStatus } from "../services/trust";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { empty } from "./http/respond";
import { statusRequest, trustRevokeQuery, trustStatusQuery } from "./http/requests";
import { target } from "./http/target";
import { check, readJson } from "./http/validate";

const trustIdParam = z.object({ twoFactorTrustId: z.string().min(1).max(128) });

export const trustRoutes = new Hono<AppEnv>();

/** 200 when a login of `userId` with `twoFactorTrustId` (or none) would skip the second factor, 242 when it would be challenged. */
async function status(c: Context<AppEnv>, userId: string, twoFactorTrustId: string | undefined): Promise<Response> {
  const { trusted, device } = await trustStatus(c.var.scope, userId, twoFactorTrustId);
  if (!trusted) return c.json({ trusts: [] }, 242 as 200);
  const trusts = device ? [{ applicationId: device.applicationId, startInstant: device.issuedInstant, expiration: device.expirationInstant }] : [];
  return c.json({ trusts, ...(twoFactorTrustId !== undefined && { twoFactorTrustId }) });
}

// The official clients send an absent `applicationId` as the text `undefined` (or `null`): it is not read.
endpoint(
  trustRoutes,
  {
    method: "get",
    path: "/two-factor/status/:twoFactorTrustId?",
    summary: "Whether a login with this trust id (or none) would skip the second factor",
    security: "apiKey",
    query: trustStatusQuery,
    responses: { 200: "trusted", 242: "challengeNeeded", 400: "errors", 404: "notFound" },
  },
  async (c) => {
    const trustId = c.req.param("twoFactorTrustId");
    const { twoFactorTrustId } = trustId === undefined ? { twoFactorTrustId: undefined } : check(trustIdParam, { twoFactorTrustId: trustId });
    const { userId } = check(trustStatusQuery, { userId: c.req.query("userId") });
    return status(c, userId, twoFactorTrustId);
  },
);

endpoint(
  trustRoutes,
  {
    method: "post",
    path: "/two-factor/status",
    summary: "Whether a login with this trust id (or none) would skip the second factor (FusionAuth 1.62 body form)",
    security: "apiKey",
    body: statusRequest,
    responses: { 200: "trusted", 242: "challengeNeeded", 400: "errors", 404: "notFound" },
  },
  async (c) => {
    const { userId, twoFactorTrustId } = await readJson(c, statusRequest);
    return status(c, userId, twoFactorTrustId ?? undefined);
  },
);

endpoint(
  trustRoutes,
  {
    method: "get",
    path: "/user/two-factor/trust/:userId?",
    summary: "List the user's trusted devices (never their trust ids)",
    security: "apiKeyOrJwt",
    stampCheckedByObject: true,
    responses: { 200: "trustedDevices", 400: "errors", 404: "notFound" },
  },
  async (c) => c.json({ devices: await listTrustedDevices(c.var.scope, target(c)) }),
);

endpoint(
  trustRoutes,
  {
    method: "delete",
    path: "/user/two-factor/trust/:userId?",
    summary: "Revoke one trusted device (deviceId), or all of them",
    security: "apiKeyOrJwt",
    stampCheckedByObject: true,
    query: trustRevokeQuery,
    responses: { 200: "ok", 400: "errors", 404: "notFound" },
  },
  async (c) => {
    const { deviceId } = check(trustRevokeQuery, { deviceId: c.req.query("deviceId") });
    await revokeTrustedDevices(c.var.scope, target(c), deviceId);
    return empty();
  },
);
