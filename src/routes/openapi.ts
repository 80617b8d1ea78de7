// The OpenAPI 3.1 description of every endpoint, served at GET /api/openapi.json. It is generated
// (@hono/zod-openapi, https://github.com/honojs/middleware/tree/main/packages/zod-openapi) from the
// zod schemas the routes validate with (src/routes/http/requests.ts); only the responses, which the
// code builds without zod, are described here. The routes keep validating with readJson, so
// FusionAuth's error bodies are unchanged. A test checks that the document lists exactly the app's
// routes and that it validates against the OpenAPI 3.1 schema.
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { Hono } from "hono";
import { z } from "zod";
import { EVENT_TYPES } from "../domain/events";
import { RECOVERY_CODE_COUNT } from "../domain/recovery-codes";
import { REFUSAL_REASONS } from "../domain/sms-guard";
import type { PublicUser } from "../domain/user";
import type { AppEnv } from "./http/context";
import {
  enableRequest,
  importRequest,
  integrationRequest,
  loginRecordSearchQuery,
  loginRequest,
  sendRequest,
  smsReportQuery,
  trustRevokeQuery,
  twoFactorLoginRequest,
  userRequest,
  webhookRequest,
} from "./http/requests";
import { codeField, fusionAuthId } from "./http/validate";

// Only OpenAPIHono's registry and generator are used: its `openapi()` routes would validate with
// their own 400 bodies, so the routes stay plain Hono handlers.
const generator = new OpenAPIHono();
const registry = generator.openAPIRegistry;

registry.registerComponent("securitySchemes", "ApiKey", { type: "apiKey", in: "header", name: "Authorization" });
registry.registerComponent("securitySchemes", "JWT", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
registry.registerComponent("securitySchemes", "AccessTokenCookie", { type: "apiKey", in: "cookie", name: "access_token" });

// Responses (src/routes/http/respond.ts and the handlers build them).
const error = z.object({ code: z.string(), message: z.string() }).meta({ id: "Error" });
const errors = z.object({ fieldErrors: z.record(z.string(), z.array(error)).optional(), generalErrors: z.array(error).optional() }).meta({ id: "Errors" });
const action = z.object({
  actionId: z.string(),
  expiry: z.number().int(),
  localizedName: z.string(),
  localizedReason: z.string(),
  name: z.string(),
  reason: z.string(),
  reasonCode: z.string(),
});
const loginPrevented = z.object({ actions: z.array(action) }).meta({ id: "LoginPrevented" });
const text = z.string().optional();
const instant = z.number().int();
const user = z
  .object({
    id: z.guid(),
    tenantId: z.guid(),
    email: text,
    username: text,
    mobilePhone: text,
    firstName: text,
    middleName: text,
    lastName: text,
    fullName: text,
    birthDate: text,
    imageUrl: text,
    timezone: text,
    preferredLanguages: z.array(z.string()).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    active: z.boolean(),
    verified: z.boolean(),
    passwordChangeRequired: z.boolean(),
    twoFactorEnabled: z.boolean(),
    twoFactorDelivery: z.enum(["None", "TextMessage"]),
    expiry: instant.optional(),
    insertInstant: instant,
    lastUpdateInstant: instant,
    lastLoginInstant: instant.optional(),
    passwordLastUpdateInstant: instant,
    twoFactorRecoveryCodesRemaining: z.number().int().optional().describe("While 2FA is enabled: how many unused recovery codes the user has."),
  })
  .meta({ id: "User", description: "The user as returned: `password` and `twoFactorSecret` are write-only." }) satisfies z.ZodType<PublicUser>;
const userResponse = z.object({ user }).meta({ id: "UserResponse" });
const loginResponse = z.object({ token: text, twoFactorId: text, twoFactorTrustId: text, user: user.optional() }).meta({ id: "LoginResponse" });
const recoveryCodesResponse = z
  .object({
    recoveryCodes: z
      .array(z.string())
      .length(RECOVERY_CODE_COUNT)
      .describe("Shown this once: ten single-use codes (`ABCDE-FGH23`), replacing any earlier set."),
  })
  .meta({ id: "RecoveryCodesResponse" });
const trustStatusResponse = z
  .object({
    trusts: z.array(z.object({ applicationId: fusionAuthId.optional(), startInstant: instant, expiration: instant })),
    twoFactorTrustId: text,
  })
  .meta({ id: "TwoFactorStatusResponse" });
const trustedDevices = z
  .object({
    devices: z.array(
      z.object({
        id: z.string().describe("Names the device for revocation; it is not a trust id."),
        applicationId: fusionAuthId.optional(),
        issuedInstant: instant,
        lastUsedInstant: instant,
        expirationInstant: instant,
      }),
    ),
  })
  .meta({ id: "TrustedDevices" });
const loginRecords = z
  .object({
    logins: z.array(
      z.object({
        userId: fusionAuthId,
        applicationId: fusionAuthId.optional(),
        instant,
        ipAddress: text,
        loginId: text,
        metaData: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
    total: z.number().int(),
  })
  .meta({ id: "LoginRecordSearchResponse" });
const smsFigures = {
  sent: z.number().int().describe("Texts handed to Twilio."),
  refused: z.partialRecord(z.enum(REFUSAL_REASONS), z.number().int()).describe("Texts refused, by the guard that refused them."),
};
const smsReportResponse = z
  .object({
    hourlyCounts: z.array(
      z.object({
        interval: z.number().int().describe("The clock hour (UTC), as hours since the epoch."),
        country: z.string().describe("The destination's ISO region; `+<calling code>` for a number without one; `unknown` for what is not a phone number."),
        ...smsFigures,
      }),
    ),
    total: z.object(smsFigures),
  })
  .meta({ id: "SmsReportResponse" });
const secretResponse = z.object({ secret: z.string(), secretBase32Encoded: z.string() }).meta({ id: "SecretResponse" });

// Request bodies: the validation schemas themselves.
const requests = {
  login: loginRequest.meta({ id: "LoginRequest" }),
  twoFactorLogin: twoFactorLoginRequest.meta({ id: "TwoFactorLoginRequest" }),
  enable: enableRequest.meta({ id: "TwoFactorRequest" }),
  send: sendRequest.meta({ id: "TwoFactorSendRequest" }),
  user: userRequest.meta({ id: "UserRequest" }),
  import: importRequest.meta({ id: "ImportRequest" }),
  integration: integrationRequest.meta({ id: "IntegrationRequest" }),
};

const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });
const empty = (description: string) => ({ description });
const body = (schema: z.ZodType, required = true) => ({ required, content: { "application/json": { schema } } });

const responses = {
  badRequest: json(errors, "The request was invalid: FusionAuth `Errors` JSON."),
  unauthorized: empty("Missing or wrong API key / JWT. Empty body."),
  notFound: empty("Not found. Empty body."),
  invalidCode: {
    description: "The `code` is not valid. Empty body.",
    headers: z.object({
      "X-Two-Factor-Reason": z
        .enum(["CodeAlreadyUsed"])
        .optional()
        .meta({ description: "`CodeAlreadyUsed` when the code was right but its time step was already used (RFC 6238 §5.2); absent for a wrong code." }),
      "X-Two-Factor-Next-Code-In": z
        .int()
        .min(1)
        .optional()
        .meta({ description: "With `CodeAlreadyUsed`: seconds until the authenticator shows a code that will be accepted." }),
    }),
  },
  prevented: json(loginPrevented, "Login is prevented (too many failures); the body holds the prevent-login action."),
  tooMany: {
    ...json(
      errors,
      "`[TooManyRequests]`: too many codes sent. One of the SMS limits is spent: the phone's (30 s between texts for one purpose, 10 an hour), the login's (5 texts), or the toll-fraud guard's hourly caps per number range, per client address, per destination country and overall.",
    ),
    headers: z.object({ "Retry-After": z.int().min(1).meta({ description: "Seconds until the limit that refused has room again." }) }),
  },
  smsBadRequest: json(
    errors,
    "The request was invalid (FusionAuth `Errors` JSON), or the SMS toll-fraud guard refused the destination before any text: `[invalid]mobilePhone` or `[invalid]user.mobilePhone` (not a phone number, or in no assigned range), `[PhoneNumberTypeNotAllowed]` (premium-rate, shared-cost, satellite or non-geographic number), `[PhoneCountryNotAllowed]` (a country outside `SMS_ALLOWED_COUNTRIES`). Also `[TwilioNotConfigured]` and `[PushTwoFactorFailed]`.",
  ),
  ok: empty("Success. Empty body, no content type."),
};

type Operation = Omit<RouteConfig, "method" | "path">;
const apiKey: Operation["security"] = [{ ApiKey: [] }];
const apiKeyOrJwt: Operation["security"] = [{ ApiKey: [] }, { JWT: [] }, { AccessTokenCookie: [] }];
const anonymous: Operation["security"] = [];
const userIdPath = z.object({ userId: fusionAuthId.describe("The user's id.") });
const tenantHeader = z.object({ "X-FusionAuth-TenantId": fusionAuthId.optional() });
const currentCode = codeField.describe("A current code, or one of the user's recovery codes.");

const route = (method: RouteConfig["method"], path: string, operation: Operation) => registry.registerPath({ method, path, ...operation });

const enable: Operation = {
  summary: "Enable two-factor authentication",
  security: apiKeyOrJwt,
  request: { body: body(requests.enable) },
  responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound, 421: responses.invalidCode },
};
const disable: Operation = {
  summary: "Disable two-factor authentication",
  security: apiKeyOrJwt,
  request: { query: z.object({ code: currentCode, userId: fusionAuthId.optional().describe("The user (API key calls).") }) },
  responses: {
    200: responses.ok,
    400: responses.badRequest,
    401: responses.unauthorized,
    404: responses.notFound,
    409: responses.prevented,
    421: responses.invalidCode,
  },
};
const userResponses = { 200: json(userResponse, "The user."), 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound };
const integrationResponses = {
  200: json(requests.integration, "The integrations (the auth token is never returned)."),
  400: responses.badRequest,
  401: responses.unauthorized,
};
const withUserId = (operation: Operation): Operation => ({ ...operation, request: { ...operation.request, params: userIdPath } });

route("get", "/api/status", { summary: "Health", security: anonymous, responses: { 200: json(z.object({ status: z.literal("ok") }), "Up.") } });
route("get", "/api/openapi.json", {
  summary: "This document",
  security: anonymous,
  responses: { 200: json(z.looseObject({ openapi: z.string() }), "OpenAPI 3.1.") },
});
route("get", "/api/two-factor/secret", {
  summary: "Generate a two-factor secret",
  security: apiKeyOrJwt,
  responses: { 200: json(secretResponse, "A new secret and its Base32 form."), 401: responses.unauthorized },
});
route("post", "/api/two-factor/send", {
  summary: "Text a code: to a phone for a secret being enrolled, to a user by id, or to the JWT's user",
  security: apiKeyOrJwt,
  request: { headers: tenantHeader, body: body(requests.send, false) },
  responses: { 200: responses.ok, 400: responses.smsBadRequest, 401: responses.unauthorized, 404: responses.notFound, 429: responses.tooMany },
});
route("post", "/api/two-factor/send/{twoFactorId}", {
  summary: "Text another code during a login",
  security: anonymous,
  request: { params: z.object({ twoFactorId: z.string().describe("From the 242 login response.") }) },
  responses: { 200: responses.ok, 400: responses.smsBadRequest, 404: responses.notFound, 429: responses.tooMany },
});
route("post", "/api/two-factor/login", {
  summary: "Complete a two-factor login",
  security: anonymous,
  request: { body: body(requests.twoFactorLogin) },
  responses: {
    200: json(loginResponse, "Logged in; `twoFactorTrustId` when trustComputer was set."),
    400: responses.badRequest,
    404: empty("Unknown, expired or used twoFactorId. Empty body."),
    409: responses.prevented,
    410: empty("The user has expired. Empty body."),
    421: responses.invalidCode,
  },
});
route("post", "/api/login", {
  summary: "Log in",
  security: apiKey,
  request: { headers: tenantHeader, body: body(requests.login) },
  responses: {
    200: json(loginResponse, "Logged in."),
    242: json(
      loginResponse,
      "Password accepted; complete with POST /api/two-factor/login and the twoFactorId. A TextMessage user is texted a code, unless Twilio or the SMS toll-fraud guard refuses it: the 242 stands, and a resend (POST /api/two-factor/send/{twoFactorId}) answers why.",
    ),
    400: responses.badRequest,
    401: responses.unauthorized,
    404: empty("Unknown login id or wrong password. Empty body."),
    409: responses.prevented,
    410: empty("The user has expired. Empty body."),
    423: empty("The user is deactivated. Empty body."),
  },
});
for (const method of ["post", "put"] as const) {
  route(method, "/api/user/two-factor/{userId}", withUserId(enable));
  route(method, "/api/user/two-factor", enable);
}
route("delete", "/api/user/two-factor/{userId}", withUserId({ ...disable, request: { query: z.object({ code: currentCode }) } }));
route("delete", "/api/user/two-factor", disable);
route("post", "/api/user/two-factor/recovery-code/{userId}", {
  summary: "Generate recovery codes for a user with 2FA enabled (replaces the previous set)",
  security: apiKeyOrJwt,
  request: { params: userIdPath },
  responses: { 200: json(recoveryCodesResponse, "The new codes."), 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound },
});
route("post", "/api/user/two-factor/recovery-code", {
  summary: "Generate recovery codes for the JWT's user",
  security: apiKeyOrJwt,
  responses: { 200: json(recoveryCodesResponse, "The new codes."), 400: responses.badRequest, 401: responses.unauthorized },
});
route("get", "/api/two-factor/status/{twoFactorTrustId}", {
  summary: "Whether a login with this trust id would skip the second factor",
  security: apiKey,
  request: { params: z.object({ twoFactorTrustId: z.string() }), query: z.object({ userId: fusionAuthId }) },
  responses: {
    200: json(trustStatusResponse, "No challenge needed: the trust id is valid for the user (or the user has no 2FA)."),
    242: json(trustStatusResponse, "A two-factor challenge would be needed."),
    400: responses.badRequest,
    401: responses.unauthorized,
    404: responses.notFound,
  },
});
const trustList: Operation = {
  summary: "List the user's trusted devices (never their trust ids)",
  security: apiKeyOrJwt,
  responses: {
    200: json(trustedDevices, "Valid trusted devices, most recently used first."),
    400: responses.badRequest,
    401: responses.unauthorized,
    404: responses.notFound,
  },
};
const trustRevoke: Operation = {
  summary: "Revoke one trusted device (deviceId), or all of them",
  security: apiKeyOrJwt,
  request: { query: trustRevokeQuery },
  responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound },
};
route("get", "/api/user/two-factor/trust/{userId}", withUserId(trustList));
route("get", "/api/user/two-factor/trust", trustList);
route("delete", "/api/user/two-factor/trust/{userId}", withUserId(trustRevoke));
route("delete", "/api/user/two-factor/trust", trustRevoke);
route("get", "/api/system/login-record/search", {
  summary: "Search a user's login records, newest first",
  security: apiKey,
  request: { query: loginRecordSearchQuery },
  responses: {
    200: json(loginRecords, "The page asked for, and the number of matches."),
    400: responses.badRequest,
    401: responses.unauthorized,
    404: responses.notFound,
  },
});
route("get", "/api/system/sms-report", {
  summary: "The SMS guard's figures: texts sent and refused per clock hour and destination country",
  description:
    "Refusal reasons: `invalid` (not a phone number, or unassigned), `number-type` (premium-rate, shared-cost, satellite, non-geographic), `country` (outside SMS_ALLOWED_COUNTRIES), `phone` (the number's spacing or hourly cap), `range` (SMS_MAX_PER_RANGE_PER_HOUR), `ip` (SMS_MAX_PER_IP_PER_HOUR), `country-budget` (SMS_MAX_PER_COUNTRY_PER_HOUR), `budget` (SMS_MAX_PER_HOUR).",
  security: apiKey,
  request: { query: smsReportQuery },
  responses: { 200: json(smsReportResponse, "Oldest hour first, and the total."), 400: responses.badRequest, 401: responses.unauthorized },
});
route("post", "/api/user/import", {
  summary: "Import users with FusionAuth password hashes and 2FA secrets (all or nothing)",
  security: apiKey,
  request: { body: body(requests.import) },
  responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized },
});
const userOperation: Operation = { security: apiKey, request: { body: body(requests.user) }, responses: userResponses };
route("post", "/api/user", { ...userOperation, summary: "Create a user" });
route("get", "/api/user", {
  summary: "Retrieve a user by email, username or loginId (API key), or the JWT's user",
  security: apiKeyOrJwt,
  request: { query: z.object({ email: text, username: text, loginId: text }) },
  responses: userResponses,
});
route("post", "/api/user/{userId}", withUserId({ ...userOperation, summary: "Create a user with this id" }));
route("put", "/api/user/{userId}", withUserId({ ...userOperation, summary: "Replace a user" }));
route("patch", "/api/user/{userId}", withUserId({ ...userOperation, summary: "Update some of a user's fields" }));
route("get", "/api/user/{userId}", withUserId({ summary: "Retrieve a user", security: apiKey, responses: userResponses }));
route("delete", "/api/user/{userId}", withUserId({ summary: "Delete a user", security: apiKey, responses: { ...userResponses, 200: responses.ok } }));
route(
  "post",
  "/api/user/unlock/{userId}",
  withUserId({
    summary: "Lift the user's login locks",
    description: "Clears the wrong-password and wrong-code locks of every kind of source (what cancelling FusionAuth's Prevent Login action does).",
    security: apiKey,
    responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound },
  }),
);
route("get", "/api/integration", { summary: "Retrieve the integrations", security: apiKey, responses: integrationResponses });
route("put", "/api/integration", {
  summary: "Replace the Twilio integration",
  security: apiKey,
  request: { body: body(requests.integration) },
  responses: integrationResponses,
});
route("patch", "/api/integration", {
  summary: "Update some Twilio integration fields",
  security: apiKey,
  request: { body: body(requests.integration) },
  responses: integrationResponses,
});

// The Webhook API (src/routes/webhooks.ts) and the events it delivers (src/domain/events.ts).
const webhookId = z.object({ webhookId: fusionAuthId.describe("The webhook's id.") });
const webhook = webhookRequest.shape.webhook
  .extend({
    id: z.guid(),
    insertInstant: instant,
    lastUpdateInstant: instant,
    signatureConfiguration: z.object({
      enabled: z.boolean(),
      signingKey: z.string().optional().describe("Only in the answer to the create: the key is write-only."),
    }),
  })
  .meta({ id: "Webhook" });
const webhookEvent = z
  .object({
    type: z.enum(EVENT_TYPES),
    id: z.guid().describe("The same on every delivery of the event: de-duplicate by it."),
    createInstant: instant,
    userId: z.guid().optional(),
    user: user.omit({ data: true }).optional(),
    applicationId: z.guid().optional(),
    ipAddress: text,
    info: z.record(z.string(), z.unknown()).describe("What the type adds; see the README's events table."),
  })
  .meta({ id: "WebhookEvent", description: 'Delivered as `{"event": …}`, signed in the X-FusionAuth-Signature-JWT header.' });
const deadLetter = z.object({ webhookId: z.guid(), event: webhookEvent, deadInstant: instant });
const webhookResponses = {
  200: json(z.object({ webhook }).meta({ id: "WebhookResponse" }), "The webhook."),
  400: responses.badRequest,
  401: responses.unauthorized,
  404: responses.notFound,
};
const webhookBody = body(webhookRequest.meta({ id: "WebhookRequest" }));
route("post", "/api/webhook", {
  summary: "Create a webhook (its signing key is answered once)",
  security: apiKey,
  request: { body: webhookBody },
  responses: webhookResponses,
});
route("post", "/api/webhook/{webhookId}", {
  summary: "Create a webhook with this id (its signing key is answered once)",
  security: apiKey,
  request: { params: webhookId, body: webhookBody },
  responses: webhookResponses,
});
route("get", "/api/webhook", {
  summary: "Retrieve every webhook",
  security: apiKey,
  responses: { 200: json(z.object({ webhooks: z.array(webhook) }), "The webhooks."), 401: responses.unauthorized },
});
route("get", "/api/webhook/{webhookId}", { summary: "Retrieve a webhook", security: apiKey, request: { params: webhookId }, responses: webhookResponses });
route("put", "/api/webhook/{webhookId}", {
  summary: "Replace a webhook (without a signingKey the stored one stays)",
  security: apiKey,
  request: { params: webhookId, body: webhookBody },
  responses: webhookResponses,
});
route("delete", "/api/webhook/{webhookId}", {
  summary: "Delete a webhook",
  security: apiKey,
  request: { params: webhookId },
  responses: { ...webhookResponses, 200: responses.ok },
});
route("get", "/api/webhook/dead-letters", {
  summary: "The events no retry could deliver (kept 30 days; the oldest 100)",
  security: apiKey,
  responses: { 200: json(z.object({ deadLetters: z.array(deadLetter) }), "Dead letters, oldest first."), 401: responses.unauthorized },
});

const describe = () =>
  generator.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Legacy two-factor edge service",
      version: "1.0.0",
      description:
        "FusionAuth 1.25's legacy two-factor API (TOTP and Twilio SMS) on Cloudflare Workers. Any operation can also answer 400 for a malformed X-FusionAuth-TenantId header, 413 for a body over 1 MiB, and an empty 500 with an X-Request-Id header.",
    },
  });

let generated: ReturnType<typeof describe> | undefined;

/**
 * The document, generated on first use rather than when the Worker starts (it takes tens of
 * milliseconds, which every cold start would pay). zod-to-openapi 9 writes a RegExp with flags
 * (userFields' `/…/u`) as the pattern "…/u"; a JSON Schema pattern is the expression alone (JSON
 * Schema Validation 2020-12, 6.3.3, https://json-schema.org/draft/2020-12/json-schema-validation).
 */
export function openApiDocument(): ReturnType<typeof describe> {
  generated ??= JSON.parse(JSON.stringify(describe()), (key, value) =>
    key === "pattern" && typeof value === "string" ? value.replace(/(?<!\\)\/[a-z]+$/, "") : value,
  );
  return generated!;
}

export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", (c) => c.json(openApiDocument()));
