// Trusted devices: FusionAuth's two-factor status (`GET /api/two-factor/status/{twoFactorTrustId}`,
// https://fusionauth.io/docs/apis/two-factor#retrieve-two-factor-status: 200 when a login with that
// trust id skips the second factor, 242 when it would be challenged), and a user's devices, listed
// and revoked by their `id` (a name, not a credential).
import { Hono } from "hono";
import { z } from "zod";
import { listTrustedDevices, revokeTrustedDevices, trustStatus } from "../services/trust";
import { requireApiKey, requireApiKeyOrJwt } from "./http/auth";
import type { AppEnv } from "./http/context";
import { empty } from "./http/respond";
import { trustRevokeQuery } from "./http/requests";
import { target } from "./http/target";
import { check, idParam } from "./http/validate";

const trustIdParam = z.object({ twoFactorTrustId: z.string().min(1).max(128) });

export const trustRoutes = new Hono<AppEnv>()
  .get("/two-factor/status/:twoFactorTrustId", requireApiKey, async (c) => {
    const { twoFactorTrustId } = check(trustIdParam, { twoFactorTrustId: c.req.param("twoFactorTrustId") });
    const userId = idParam("userId", c.req.query("userId"));
    const { trusted, device } = await trustStatus(c.var.scope, userId, twoFactorTrustId);
    if (!trusted) return c.json({ trusts: [] }, 242 as 200);
    const trusts = device ? [{ applicationId: device.applicationId, startInstant: device.issuedInstant, expiration: device.expirationInstant }] : [];
    return c.json({ trusts, twoFactorTrustId });
  })
  .get("/user/two-factor/trust/:userId?", requireApiKeyOrJwt, async (c) => c.json({ devices: await listTrustedDevices(c.var.scope, target(c)) }))
  .delete("/user/two-factor/trust/:userId?", requireApiKeyOrJwt, async (c) => {
    const { deviceId } = check(trustRevokeQuery, { deviceId: c.req.query("deviceId") });
    await revokeTrustedDevices(c.var.scope, target(c), deviceId);
    return empty();
  });
