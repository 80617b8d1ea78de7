// The legacy two-factor API: generate a secret, text a code, enable and disable 2FA for a user by
// id (API key) or for the JWT's user (FusionAuth before 1.26).
import { Hono, type Context } from "hono";
import type { z } from "zod";
import { invalidField } from "../domain/failures";
import { keyFromBase32, keyFromSecret } from "../domain/secret";
import { resendLoginCode } from "../services/login";
import { disableTwoFactor, enableTwoFactor, newSecret, textEnrolmentCode, textUserCode } from "../services/two-factor";
import { textClient } from "./http/client-ip";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { empty } from "./http/respond";
import { disableQuery, enableRequest, sendRequest, tenantHeader } from "./http/requests";
import { target } from "./http/target";
import { check, fusionAuthId, readJson } from "./http/validate";

function secretKey(secret: string): Uint8Array {
  const key = keyFromSecret(secret);
  if (!key) throw invalidField("secret", "invalid", "The [secret] must be Base64 and decode to at least 10 bytes (80 bits).");
  return key;
}

function keyFromRequest(request: z.output<typeof enableRequest>): Uint8Array {
  if (request.secret) return secretKey(request.secret);
  if (request.secretBase32Encoded) {
    const key = keyFromBase32(request.secretBase32Encoded);
    if (!key) throw invalidField("secretBase32Encoded", "invalid", "The [secretBase32Encoded] must be Base32 and decode to at least 10 bytes (80 bits).");
    return key;
  }
  throw invalidField("secret", "blank", "The [secret] or [secretBase32Encoded] property is required.");
}

async function disable(c: Context<AppEnv>): Promise<Response> {
  const user = target(c);
  const { code } = check(disableQuery, { code: c.req.query("code") });
  await disableTwoFactor(c.var.scope, user, code);
  return empty();
}

const disableResponses = { 200: "ok", 400: "errors", 404: "notFound", 409: "prevented", 421: "invalidCode" } as const;

export const twoFactorRoutes = new Hono<AppEnv>();

endpoint(
  twoFactorRoutes,
  { method: "get", path: "/two-factor/secret", summary: "Generate a two-factor secret", security: "apiKeyOrJwt", responses: { 200: "secret" } },
  (c) => c.json(newSecret()),
);

endpoint(
  twoFactorRoutes,
  {
    method: "post",
    path: "/two-factor/send",
    summary: "Text a code: to a phone for a secret being enrolled, to a user by id, or to the JWT's user",
    security: "apiKeyOrJwt",
    headers: tenantHeader,
    body: sendRequest,
    bodyOptional: true,
    responses: { 200: "ok", 400: "smsErrors", 404: "notFound", 429: "tooMany" },
  },
  async (c) => {
    const request = await readJson(c, sendRequest);
    if (c.var.auth.kind === "apiKey" && request.mobilePhone) {
      if (!request.secret) throw invalidField("secret", "blank", "The [secret] is required with [mobilePhone].");
      await textEnrolmentCode(c.var.scope, request.mobilePhone, secretKey(request.secret), textClient(c));
    } else if (c.var.auth.kind === "apiKey" && !request.userId) {
      throw invalidField("userId", "blank", "Send either [userId], or [mobilePhone] and [secret].");
    } else {
      await textUserCode(c.var.scope, target(c, request.userId), textClient(c));
    }
    return empty();
  },
);

// During login, without authentication: the twoFactorId is the credential.
endpoint(
  twoFactorRoutes,
  {
    method: "post",
    path: "/two-factor/send/:twoFactorId",
    summary: "Text another code during a login",
    security: "none",
    responses: { 200: "ok", 400: "smsErrors", 404: "notFound", 429: "tooMany" },
  },
  async (c) => {
    await resendLoginCode(c.var.scope, c.req.param("twoFactorId"), textClient(c));
    return empty();
  },
);

// FusionAuth documents POST; its tutorials use PUT. Both work.
endpoint(
  twoFactorRoutes,
  {
    method: ["post", "put"],
    path: "/user/two-factor/:userId?",
    summary: "Enable two-factor authentication",
    security: "apiKeyOrJwt",
    body: enableRequest,
    responses: { 200: "ok", 400: "errors", 404: "notFound", 421: "invalidCode" },
  },
  async (c) => {
    const user = target(c);
    const request = await readJson(c, enableRequest);
    await enableTwoFactor(c.var.scope, user, { key: keyFromRequest(request), code: request.code, delivery: request.delivery ?? "None" });
    return empty();
  },
);

// The documented path form, and the query form the official client sends.
endpoint(
  twoFactorRoutes,
  {
    method: "delete",
    path: "/user/two-factor/:userId",
    summary: "Disable two-factor authentication",
    security: "apiKeyOrJwt",
    query: disableQuery,
    responses: disableResponses,
  },
  disable,
);
endpoint(
  twoFactorRoutes,
  {
    method: "delete",
    path: "/user/two-factor",
    summary: "Disable two-factor authentication",
    security: "apiKeyOrJwt",
    query: disableQuery.extend({ userId: fusionAuthId.optional().describe("The user (API key calls).") }),
    responses: disableResponses,
  },
  disable,
);
