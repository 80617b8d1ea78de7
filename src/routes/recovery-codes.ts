// Recovery codes, FusionAuth's shape (1.26+, https://fusionauth.io/docs/apis/two-factor#generate-recovery-codes):
// `POST /api/user/two-factor/recovery-code/{userId}` (API key) or `…/recovery-code` (JWT) answers a
// new set of ten, replacing the last. They are accepted as `code` wherever a 2FA code is.
import { Hono } from "hono";
import { generateRecoveryCodes } from "../services/recovery-codes";
import { requireApiKeyOrJwt } from "./http/auth";
import type { AppEnv } from "./http/context";
import { target } from "./http/target";

export const recoveryCodeRoutes = new Hono<AppEnv>().post("/user/two-factor/recovery-code/:userId?", requireApiKeyOrJwt, async (c) =>
  c.json({ recoveryCodes: await generateRecoveryCodes(c.var.scope, target(c)) }),
);
