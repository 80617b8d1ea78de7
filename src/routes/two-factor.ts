// The two-factor API in both eras on the same paths: FusionAuth before 1.26 (enable with a secret
// and a delivery, disable with a code, text the user's code) and the 1.26+ Multi-Factor API
// (https://fusionauth.io/docs/apis/two-factor: methods, enabled and disabled one at a time, codes
// sent to a method). The body tells which: `method` or `methodId` is 1.26+, `secret` or `delivery`
// legacy, and a body that mixes the two is refused, so no request that works in one era changes meaning.
import { Hono, type Context } from "hono";
import { z } from "zod";
import { invalidField } from "../domain/failures";
import { keyFromBase32, keyFromSecret } from "../domain/secret";
import { sendLoginCode, startTwoFactor } from "../services/login";
import {
  addMethod,
  disableTwoFactor,
  enableTwoFactor,
  newSecret,
  renameMethod,
  sendOneTimeCode,
  textEnrolmentCode,
  textUserCode,
} from "../services/two-factor";
import { textClient } from "./http/client-ip";
import type { AppEnv } from "./http/context";
import { endpoint } from "./http/endpoint";
import { empty } from "./http/respond";
import { disableRequest, enableRequest, loginSendRequest, renameRequest, sendRequest, startRequest, tenantHeader } from "./http/requests";
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

const mixedEras = () => invalidField("delivery", "invalid", "The [delivery] property belongs to the legacy API: send either [delivery] or [method], not both.");

/** The address a phone or email method is enabled at, or a code sent to: `mobilePhone` or `email`, required for its method. */
function addressFor(request: { method?: string | null; mobilePhone?: string | null; email?: string | null }, method: "sms" | "email"): string {
  const field = method === "sms" ? "mobilePhone" : "email";
  const address = request[field];
  if (!address) throw invalidField(field, "blank", `The [${field}] property is required.`);
  return address;
}

async function enable(c: Context<AppEnv>, body: unknown): Promise<Response> {
  const user = target(c);
  const request = check(enableRequest, body);
  const { scope } = c.var;
  if (!request.method) {
    await enableTwoFactor(scope, user, { key: keyFromRequest(request), code: request.code, delivery: request.delivery ?? "None" });
    return empty();
  }
  if (request.delivery) throw mixedEras();
  const name = request.name ?? undefined;
  const method =
    request.method === "sms"
      ? { method: "sms" as const, mobilePhone: addressFor(request, "sms"), name }
      : request.method === "email"
        ? { method: "email" as const, email: addressFor(request, "email"), name }
        : { method: "authenticator" as const, key: keyFromRequest(request), name };
  const { recoveryCodes } = await addMethod(scope, user, method, request.code);
  return recoveryCodes ? c.json({ recoveryCodes }) : empty();
}

async function disable(c: Context<AppEnv>): Promise<Response> {
  const user = target(c);
  const body = c.req.header("Content-Type")?.includes("json") ? await readJson(c, disableRequest) : {};
  const request = check(disableRequest, { ...body, ...sentQuery(c, "methodId", "code") });
  if (!request.code) throw invalidField("code", "blank", "The [code] property is required.");
  await disableTwoFactor(c.var.scope, user, request.code, request.methodId ?? undefined);
  return empty();
}

/** The query parameters `names` that were sent. */
function sentQuery(c: Context<AppEnv>, ...names: string[]): Record<string, string> {
  const sent = names.map((name) => [name, c.req.query(name)] as const);
  return Object.fromEntries(sent.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
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
    summary:
      "Send a code: by text or email to enable or disable a method (1.26+); legacy: text one to a phone for a secret being enrolled, to a user by id, or to the JWT's user",
    security: "apiKeyOrJwt",
    headers: tenantHeader,
    body: sendRequest,
    bodyOptional: true,
    responses: { 200: "ok", 400: "smsErrors", 404: "notFound", 429: "tooMany", 502: "emailFailed", 503: "emailFailed", 504: "emailFailed" },
  },
  async (c) => {
    const request = await readJson(c, sendRequest);
    const { scope } = c.var;
    if (request.method || request.methodId) {
      if (request.secret)
        throw invalidField("secret", "invalid", "The [secret] property belongs to the legacy API: send either [secret] or [method]/[methodId].");
      if (c.var.auth.kind === "apiKey" && !request.userId) throw invalidField("userId", "blank", "The [userId] property is required.");
      const user = target(c, request.userId);
      if (request.methodId) await sendOneTimeCode(scope, user, { methodId: request.methodId }, textClient(c));
      else if (request.method === "sms" || request.method === "email")
        await sendOneTimeCode(scope, user, { method: request.method, address: addressFor(request, request.method) }, textClient(c));
      else throw invalidField("method", "invalid", "A code can be sent to enable an [email] or [sms] method only.");
    } else if (c.var.auth.kind === "apiKey" && request.mobilePhone) {
      if (!request.secret) throw invalidField("secret", "blank", "The [secret] is required with [mobilePhone].");
      await textEnrolmentCode(scope, request.mobilePhone, secretKey(request.secret), textClient(c));
    } else if (c.var.auth.kind === "apiKey" && !request.userId) {
      throw invalidField("userId", "blank", "Send either [userId], or [mobilePhone] and [secret].");
    } else {
      await textUserCode(scope, target(c, request.userId), textClient(c));
    }
    return empty();
  },
);

// During a login, without credentials: the twoFactorId is one. Whatever its content type, a body
// is read (the deprecated client sends an empty `text/plain` one), so nothing but `methodId` passes.
async function sendDuringLogin(c: Context<AppEnv>, twoFactorId: string): Promise<Response> {
  const { methodId } = await readJson(c, loginSendRequest);
  await sendLoginCode(c.var.scope, twoFactorId, methodId ?? undefined, textClient(c));
  return empty();
}

endpoint(
  twoFactorRoutes,
  {
    method: "post",
    path: "/two-factor/send/:twoFactorId",
    summary: "Send a code during a login: to the phone or email method `methodId` (1.26+), or text the legacy code again",
    description:
      "Only `methodId` may be sent here: the forms that enable or disable a method need credentials. A twoFactorId that names no pending login is 400 `[invalid]twoFactorId` with a `methodId`, 404 without (legacy).",
    security: "none",
    body: loginSendRequest,
    bodyOptional: true,
    responses: { 200: "ok", 400: "smsErrors", 404: "notFound", 429: "tooMany", 502: "emailFailed", 503: "emailFailed", 504: "emailFailed" },
  },
  (c) => sendDuringLogin(c, c.req.param("twoFactorId")),
);

endpoint(
  twoFactorRoutes,
  {
    method: "post",
    path: "/two-factor/start",
    summary: "Start a two-factor challenge without a password (step-up), by userId or loginId (1.26+)",
    description:
      "Answers the code (yours, or 6 digits made for you to deliver) and a twoFactorId; `POST /api/two-factor/login` completes it with that code, a code of any of the user's methods, or a recovery code, and echoes `state`.",
    security: "apiKey",
    headers: tenantHeader,
    body: startRequest,
    responses: { 200: "started", 400: "errors", 404: "notFound" },
  },
  async (c) => {
    const request = await readJson(c, startRequest);
    if (!request.userId && !request.loginId) throw invalidField("loginId", "blank", "The [loginId] or [userId] property is required.");
    const started = await startTwoFactor(c.var.scope, {
      userId: request.userId ?? undefined,
      loginId: request.loginId ?? undefined,
      applicationId: request.applicationId ?? undefined,
      code: request.code ?? undefined,
      state: request.state ?? undefined,
    });
    return c.json({ code: started.code, twoFactorId: started.twoFactorId, ...(started.methods.length > 0 && { methods: started.methods }) });
  },
);

// FusionAuth documents POST; its legacy tutorials use PUT, which FusionAuth 1.68 gave to naming a
// method: a PUT with `methodId` and `name` and no `code` names one.
endpoint(
  twoFactorRoutes,
  {
    method: ["post", "put"],
    path: "/user/two-factor/:userId?",
    summary: "Enable a two-factor method (1.26+, `method`), or two-factor authentication (legacy); PUT with `methodId` and `name` names a method",
    security: "apiKeyOrJwt",
    stampCheckedByObject: true,
    body: enableRequest,
    responses: { 200: "enabled", 400: "errors", 404: "notFound", 421: "invalidCode" },
  },
  async (c) => {
    const body = await readJson(c, z.unknown());
    if (c.req.method === "PUT" && body !== null && typeof body === "object" && "methodId" in body && !("code" in body)) {
      const { methodId, name } = check(renameRequest, body);
      await renameMethod(c.var.scope, target(c), methodId, name);
      return empty();
    }
    return enable(c, body);
  },
);

// The documented path form, and the query form the official clients before 1.30 send.
endpoint(
  twoFactorRoutes,
  {
    method: "delete",
    path: "/user/two-factor/:userId",
    summary: "Disable a two-factor method (`methodId`, 1.26+) or two-factor authentication (legacy)",
    security: "apiKeyOrJwt",
    stampCheckedByObject: true,
    query: disableRequest.pick({ methodId: true, code: true }),
    body: disableRequest,
    bodyOptional: true,
    responses: disableResponses,
  },
  disable,
);
endpoint(
  twoFactorRoutes,
  {
    method: "delete",
    path: "/user/two-factor",
    summary: "Disable a two-factor method (`methodId`, 1.26+) or two-factor authentication (legacy)",
    security: "apiKeyOrJwt",
    stampCheckedByObject: true,
    query: disableRequest.pick({ methodId: true, code: true }).extend({ userId: fusionAuthId.optional().describe("The user (API key calls).") }),
    body: disableRequest,
    bodyOptional: true,
    responses: disableResponses,
  },
  disable,
);
