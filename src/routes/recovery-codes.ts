// Recovery codes, FusionAuth's shape (1.26+, https://fusionauth.io/docs/apis/two-factor#generate-recovery-codes):
// `POST /api/user/two-factor/recovery-code/{userId}` (API key) or `…/recovery-code` (JWT) answers a
// new set of ten, replacing the last. They are accepted as `code` wherever a 2FA code is.
import { Hono } from "hono";
import { generateRecoveryCodes } from "../services/recovery-codes";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { target } from "./http/target";

export const recoveryCodeRoutes = new Hono<AppEnv>();

endpoint(
  recoveryCodeRoutes,
  {
    method: "post",
    path: "/user/two-factor/recovery-code/:userId?",
    summary: "Generate recovery codes for a user with 2FA enabled, by id (API key) or the JWT's user; they replace the previous set",
    security: "apiKeyOrJwt",
    responses: { 200: "recoveryCodes", 400: "errors", 404: "notFound" },
  },
  async (c) => c.json({ recoveryCodes: await generateRecoveryCodes(c.var.scope, target(c)) }),
);
