// The legacy two-factor API: generate a secret, text a code, enable and disable 2FA for a user by
// id (API key) or for the JWT's user (FusionAuth before 1.26).
import { Hono, type Context } from "hono";
import { z } from "zod";
import { invalidField } from "../domain/failures";
import { keyFromBase32, keyFromSecret } from "../domain/secret";
import { resendLoginCode } from "../services/login";
import { disableTwoFactor, enableTwoFactor, newSecret, textEnrolmentCode, textUserCode } from "../services/two-factor";
import { requireApiKeyOrJwt } from "./http/auth";
import { connectingIp } from "./http/client-ip";
import type { AppEnv } from "./http/context";
import { empty } from "./http/respond";
import { enableRequest, sendRequest } from "./http/requests";
import { target } from "./http/target";
import { check, codeField, readJson } from "./http/validate";

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

async function enable(c: Context<AppEnv>): Promise<Response> {
  const user = target(c);
  const request = await readJson(c, enableRequest);
  await enableTwoFactor(c.var.scope, user, { key: keyFromRequest(request), code: request.code, delivery: request.delivery ?? "None" });
  return empty();
}

async function disable(c: Context<AppEnv>): Promise<Response> {
  const user = target(c);
  const { code } = check(z.object({ code: codeField }), { code: c.req.query("code") });
  await disableTwoFactor(c.var.scope, user, code);
  return empty();
}

export const twoFactorRoutes = new Hono<AppEnv>()
  .get("/two-factor/secret", requireApiKeyOrJwt, (c) => c.json(newSecret()))
  .post("/two-factor/send", requireApiKeyOrJwt, async (c) => {
    const request = await readJson(c, sendRequest);
    if (c.var.auth.kind === "apiKey" && request.mobilePhone) {
      if (!request.secret) throw invalidField("secret", "blank", "The [secret] is required with [mobilePhone].");
      await textEnrolmentCode(c.var.scope, request.mobilePhone, secretKey(request.secret));
    } else if (c.var.auth.kind === "apiKey" && !request.userId) {
      throw invalidField("userId", "blank", "Send either [userId], or [mobilePhone] and [secret].");
    } else {
      await textUserCode(c.var.scope, target(c, request.userId));
    }
    return empty();
  })
  // During login, without authentication: the twoFactorId is the credential.
  .post("/two-factor/send/:twoFactorId", async (c) => {
    await resendLoginCode(c.var.scope, c.req.param("twoFactorId"), connectingIp(c));
    return empty();
  })
  // FusionAuth documents POST; its tutorials use PUT. Both work.
  .on(["POST", "PUT"], ["/user/two-factor/:userId", "/user/two-factor"], requireApiKeyOrJwt, enable)
  // The documented path form, and the query form the official client sends.
  .delete("/user/two-factor/:userId", requireApiKeyOrJwt, disable)
  .delete("/user/two-factor", requireApiKeyOrJwt, disable);
