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
import { idParam, readJson } from "./http/validate";
import { getUser } from "../services/users";

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
    stampCheckedByObject: true,
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

// FusionAuth 1.26–1.63 answered the unused codes; codes are kept only as hashes here (as in
// FusionAuth since 1.68), so the list is empty for a user who exists.
endpoint(
  recoveryCodeRoutes,
  {
    method: "get",
    path: "/user/two-factor/recovery-code/:userId",
    summary: "Retrieve recovery codes (deprecated by FusionAuth 1.64): always an empty list",
    security: "apiKey",
    responses: { 200: "noRecoveryCodes", 400: "errors", 404: "notFound" },
  },
  async (c) => {
    await getUser(c.var.scope, idParam("userId", c.req.param("userId")));
    return c.json({ recoveryCodes: [] });
  },
);
