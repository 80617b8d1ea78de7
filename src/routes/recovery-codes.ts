// Recovery codes, FusionAuth's shape (1.26+, https://fusionauth.io/docs/apis/two-factor#generate-recovery-codes):
// `POST /api/user/two-factor/recovery-code/{userId}` (API key) or `…/recovery-code` (JWT, with a
// `code` of the user's 2FA in the body) answers a new set of ten, replacing the last. They are
// accepted as `code` wherever a 2FA code is.
import { Hono } from "hono";
import { generateRecoveryCodes } from "../services/recovery-codes";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { recoveryCodeRequest } from "./http/requests";
import { target } from "./http/target";
import { readJson } from "./http/validate";

export const recoveryCodeRoutes = new Hono<AppEnv>();

endpoint(
  recoveryCodeRoutes,
  {
    method: "post",
    path: "/user/two-factor/recovery-code/:userId?",
    summary: "Generate recovery codes for a user with 2FA enabled, by id (API key) or the JWT's user; they replace the previous set",
    description:
      "With a JWT the body must carry a fresh `code` of the user's 2FA (a wrong or used one answers 421 and counts toward the lockout, as a disable's): a new set turns 2FA off as surely as a code does, so a token alone never makes one.",
    security: "apiKeyOrJwt",
    body: recoveryCodeRequest,
    bodyOptional: true,
    responses: { 200: "recoveryCodes", 400: "errors", 404: "notFound", 409: "prevented", 421: "invalidCode" },
  },
  async (c) => {
    const user = target(c);
    const { code } = await readJson(c, recoveryCodeRequest);
    return c.json({ recoveryCodes: await generateRecoveryCodes(c.var.scope, user, code) });
  },
);
