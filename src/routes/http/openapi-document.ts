// The OpenAPI 3.1 description of every endpoint, served at GET /api/openapi.json. It is generated
// (@hono/zod-openapi, https://github.com/honojs/middleware/tree/main/packages/zod-openapi) from the
// routes' own declarations (./endpoint.ts): their paths, security, and the zod schemas they validate
// with (./requests.ts). Only the responses, which the code builds without zod, are described here,
// by name. Its schemas and the registry are built on the document's first request (`schemas()`,
// `describe()`), so none of it runs when the Worker starts or in any other request. (A dynamic
// import would defer this module too, but esbuild then wraps every module it imports and start-up
// costs more.) A test checks that the
// document lists exactly the app's routes with the security and status codes they answer with, and
// that it validates against the OpenAPI 3.1 schema.
import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import { z } from "zod";
import { EVENT_TYPES } from "../../domain/events";
import { METHOD_ID, METHOD_KINDS } from "../../domain/methods";
import { RECOVERY_CODE_COUNT } from "../../domain/recovery-codes";
import { REFUSAL_REASONS } from "../../domain/sms-guard";
import type { PublicUser } from "../../domain/user";
import { endpoints, type Endpoint, type Security } from "./endpoint";
import { enableRequest, importRequest, integrationRequest, loginRequest, sendRequest, twoFactorLoginRequest, userRequest, webhookRequest } from "./requests";
import { fusionAuthId } from "./validate";

/** Everything only the document needs, built on its first request. */
function schemas() {
  // Request bodies: the validation schemas themselves, named.
  const requestBodies = new Map<z.ZodType, z.ZodType>(
    (
      [
        [loginRequest, "LoginRequest"],
        [twoFactorLoginRequest, "TwoFactorLoginRequest"],
        [enableRequest, "TwoFactorRequest"],
        [sendRequest, "TwoFactorSendRequest"],
        [userRequest, "UserRequest"],
        [importRequest, "ImportRequest"],
        [integrationRequest, "IntegrationRequest"],
        [webhookRequest, "WebhookRequest"],
      ] as const
    ).map(([schema, id]) => [schema, schema.meta({ id })]),
  );

  /** Path parameters, by name. */
  const pathParameters: Record<string, z.ZodType> = {
    userId: fusionAuthId.describe("The user's id."),
    webhookId: fusionAuthId.describe("The webhook's id."),
    twoFactorId: z.string().describe("From the 242 login response."),
    twoFactorTrustId: z.string(),
  };

  // Responses (./respond.ts and the handlers build them).
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
  /** A second factor as answered (FusionAuth 1.26+): never its secret. */
  const method = z
    .object({
      id: z.string().regex(METHOD_ID).describe("4 letters and digits, made by the server, unique within the user."),
      method: z.enum(METHOD_KINDS),
      authenticator: z.object({ algorithm: z.literal("HmacSHA1"), codeLength: z.literal(6), timeStep: z.literal(30) }).optional(),
      mobilePhone: text,
      email: text,
      lastUsed: z.literal(true).optional().describe("On the method that last completed a two-factor login."),
      name: text,
    })
    .meta({ id: "TwoFactorMethod" });
  /** The user in every answer that carries one (user, login, webhook event). */
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
      twoFactor: z
        .object({ methods: z.array(method) })
        .describe("The second factors (FusionAuth 1.26+); `twoFactorEnabled` and `twoFactorDelivery` are their legacy view."),
      expiry: instant.optional(),
      insertInstant: instant,
      lastUpdateInstant: instant,
      lastLoginInstant: instant.optional(),
      passwordLastUpdateInstant: instant,
      twoFactorRecoveryCodesRemaining: z.number().int().optional().describe("While 2FA is enabled: how many unused recovery codes the user has."),
    })
    .meta({ id: "User", description: "The user as returned: `password` and `twoFactorSecret` are write-only." }) satisfies z.ZodType<PublicUser>;
  const loginResponse = z
    .object({
      token: text,
      twoFactorId: text,
      twoFactorTrustId: text,
      user: user.optional(),
      state: z.unknown().optional().describe("Start's `state`, echoed."),
    })
    .meta({ id: "LoginResponse" });
  const recoveryCodesResponse = z
    .object({
      recoveryCodes: z
        .array(z.string())
        .length(RECOVERY_CODE_COUNT)
        .describe("Shown this once: ten single-use codes (`7K2QD-M0XW9`, Crockford Base32), replacing any earlier set."),
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
  const keyRotationResponse = z
    .object({
      currentKeyId: z.string().describe("ENCRYPTION_KEY's first key: everything is sealed under it from now on."),
      keyIds: z.array(z.string()).describe("Every key id of ENCRYPTION_KEY, in order."),
      sweep: z
        .object({
          state: z.enum(["running", "finished"]),
          keyId: z.string(),
          startedAt: instant,
          updatedAt: instant,
          finishedAt: instant.optional(),
          swept: z.number().int().describe("Users swept so far."),
        })
        .nullable()
        .describe("The sweep under the current key; null before one started."),
      oldKeys: z.record(
        z.string(),
        z.object({
          inSetting: z.boolean().describe("False: a value still names a key that ENCRYPTION_KEY no longer holds, and cannot be opened."),
          users: z
            .number()
            .int()
            .nullable()
            .describe("Users the sweep found still holding a value sealed under this key; null until a sweep under the current key runs."),
          webhooks: z.number().int(),
          integrationSecrets: z.number().int().describe("The Twilio auth token and the SMTP password, when sealed under this key."),
        }),
      ),
      hmacRecoveryCodeUsers: z
        .number()
        .int()
        .nullable()
        .describe("Users whose recovery codes were hashed before codes were sealed: they need the key that was first when they were made."),
    })
    .meta({ id: "KeyRotationResponse" });
  const outboxResponse = z
    .object({
      messages: z.array(z.object({ to: z.string(), subject: z.string(), text: z.string(), html: z.string(), sentAt: instant })),
    })
    .meta({ id: "EmailOutboxResponse" });
  const secretResponse = z.object({ secret: z.string(), secretBase32Encoded: z.string() }).meta({ id: "SecretResponse" });
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
  // The events the Webhook API delivers (src/domain/events.ts).
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

  const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });
  const empty = (description: string) => ({ description });

  /** The responses a declaration names (`responses: { 200: "user", … }`). */
  const responses = {
    ok: empty("Success. Empty body, no content type."),
    errors: json(errors, "The request was invalid: FusionAuth `Errors` JSON."),
    unauthorized: empty("Missing or wrong API key / JWT. Empty body."),
    notFound: empty("Not found. Empty body."),
    crossSite: json(
      errors,
      "`[CrossSiteRequest]`: the access_token cookie was the only credential and the request came from another site's page (its `Origin`, or `Sec-Fetch-Site`).",
    ),
    notJson: json(errors, "`[UnsupportedMediaType]`: the access_token cookie was the only credential and the body was not `application/json`."),
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
        "`[TooManyRequests]`: too many codes sent. One of the SMS limits is spent: the phone's (30 s between texts for one purpose, 10 an hour), the login's (5 sends), or the toll-fraud guard's hourly caps per number range, per client (the end user's address the application reports in `ipAddress` or `X-Forwarded-For`, else the caller), per destination country and overall; or one of the email limits: the address's, its domain's, the client's or the hourly budget.",
      ),
      headers: z.object({ "Retry-After": z.int().min(1).meta({ description: "Seconds until the limit that refused has room again." }) }),
    },
    smsErrors: json(
      errors,
      "The request was invalid (FusionAuth `Errors` JSON), or the SMS toll-fraud guard refused the destination before any text: `[invalid]mobilePhone` or `[invalid]user.mobilePhone` (not a phone number, or in no assigned range), `[PhoneNumberTypeNotAllowed]` (premium-rate, shared-cost, satellite, non-geographic, toll-free or personal number), `[PhoneCountryNotAllowed]` (a country outside `SMS_ALLOWED_COUNTRIES`). Also `[TwilioNotConfigured]` and `[PushTwoFactorFailed]`; for email `[invalid]email`, `[EmailNotConfigured]`, and `[EmailTwoFactorFailed]` (400 when the mail server refused the recipient; 502 when it refused the service's login or failed, 503 when it could not be reached, 504 when it did not answer in time).",
    ),
    emailFailed: json(
      errors,
      "`[EmailTwoFactorFailed]`: the email with the code did not go out. 502: the mail server refused the service's login, or failed; 503: it could not be reached; 504: it did not answer in time (the email may still arrive: the code stays acceptable).",
    ),
    status: json(z.object({ status: z.literal("ok") }), "Up."),
    document: json(z.looseObject({ openapi: z.string() }), "OpenAPI 3.1."),
    secret: json(secretResponse, "A new secret and its Base32 form."),
    loggedIn: json(loginResponse, "Logged in."),
    twoFactorLoggedIn: json(loginResponse, "Logged in; `twoFactorTrustId` when trustComputer was set."),
    twoFactorRequired: json(
      z.object({ twoFactorId: z.string(), methods: z.array(method) }).meta({ id: "TwoFactorRequiredResponse" }),
      "Password accepted; complete with POST /api/two-factor/login and the twoFactorId. `methods` (1.26+) lists the user's second factors, for a code by POST /api/two-factor/send/{twoFactorId} with a `methodId`. A legacy TextMessage user is texted a code, unless Twilio or the SMS toll-fraud guard refuses it: the 242 stands, and a resend (POST /api/two-factor/send/{twoFactorId}) answers why.",
    ),
    wrongPassword: empty("Unknown login id or wrong password. Empty body."),
    unknownTwoFactorId: empty("Unknown, expired or used twoFactorId. Empty body."),
    userExpired: empty("The user has expired. Empty body."),
    userDeactivated: empty("The user is deactivated. Empty body."),
    recoveryCodes: json(recoveryCodesResponse, "The new codes."),
    started: json(
      z.object({ code: z.string(), twoFactorId: z.string(), methods: z.array(method).optional() }).meta({ id: "TwoFactorStartResponse" }),
      "A pending two-factor login: deliver `code` yourself, or let the user use any of `methods`.",
    ),
    noRecoveryCodes: json(
      z.object({ recoveryCodes: z.array(z.string()).length(0) }),
      "Always empty: recovery codes are kept only as hashes (FusionAuth deprecated this call in 1.64); generate a new set to show them.",
    ),
    enabled: {
      ...json(recoveryCodesResponse, "Enabled. The user's first method (1.26+) answers its recovery codes, shown this once."),
      description:
        "Enabled. The user's first method (1.26+) answers its ten recovery codes, shown this once; a later method and the legacy enable answer an empty body.",
    },
    trusted: json(trustStatusResponse, "No challenge needed: the trust id is valid for the user (or the user has no 2FA)."),
    challengeNeeded: json(trustStatusResponse, "A two-factor challenge would be needed."),
    trustedDevices: json(trustedDevices, "Valid trusted devices, most recently used first."),
    loginRecords: json(loginRecords, "The page asked for, and the number of matches."),
    smsReport: json(smsReportResponse, "Oldest hour first, and the total."),
    outbox: json(outboxResponse, "The kept messages, oldest first."),
    keyRotation: json(keyRotationResponse, "What still uses each old key, and the sweep's progress."),
    exportPage: json(
      z
        .object({
          users: z.array(importRequest.shape.users.element).describe("Import API entries: password hashes, 2FA secrets and recovery-code hashes."),
          nextCursor: z.string().nullable().describe("The cursor of the next page; null after the last."),
        })
        .meta({ id: "ExportPage" }),
      "One page of users; answered with `Cache-Control: no-store`.",
    ),
    user: json(z.object({ user }).meta({ id: "UserResponse" }), "The user."),
    integrations: json(requestBodies.get(integrationRequest)!, "The integrations (the Twilio auth token and the SMTP password are never returned)."),
    webhook: json(z.object({ webhook }).meta({ id: "WebhookResponse" }), "The webhook."),
    webhooks: json(z.object({ webhooks: z.array(webhook) }), "The webhooks."),
    deadLetters: json(z.object({ deadLetters: z.array(deadLetter) }), "Dead letters, oldest first."),
  } satisfies Record<string, RouteConfig["responses"][string]>;
  return { requestBodies, pathParameters, responses };
}

export type ResponseName = keyof ReturnType<typeof schemas>["responses"];

const securities: Record<Security, RouteConfig["security"]> = {
  none: [],
  optionalApiKey: [{}, { ApiKey: [] }],
  apiKey: [{ ApiKey: [] }],
  apiKeyOrJwt: [{ ApiKey: [] }, { JWT: [] }, { AccessTokenCookie: [] }],
  login: [{ ApiKey: [] }],
  exportKey: [{ ExportKey: [] }],
};

/** One operation per method and path of the declaration (`:name?` is two paths). */
function operations({ requestBodies, pathParameters, responses }: ReturnType<typeof schemas>, endpoint: Endpoint): RouteConfig[] {
  const optional = /\/:\w+\?$/.exec(endpoint.path);
  const paths = optional ? [endpoint.path.slice(0, optional.index), endpoint.path.slice(0, -1)] : [endpoint.path];
  const documented: Partial<Record<number, ResponseName>> = {
    ...(endpoint.security !== "none" && { 401: "unauthorized" }),
    ...(endpoint.security === "apiKeyOrJwt" && { 403: "crossSite", 415: "notJson" }),
    ...endpoint.responses,
  };
  return [endpoint.method].flat().flatMap((method) =>
    paths.map((path): RouteConfig => {
      const names = [...path.matchAll(/:(\w+)/g)].map(([, name]) => name!);
      const request: RouteConfig["request"] = {
        ...(names.length > 0 && { params: z.object(Object.fromEntries(names.map((name) => [name, pathParameter(pathParameters, name)]))) }),
        ...(endpoint.query && { query: endpoint.query }),
        ...(endpoint.headers && { headers: endpoint.headers }),
        ...(endpoint.body && {
          body: { required: !endpoint.bodyOptional, content: { "application/json": { schema: requestBodies.get(endpoint.body) ?? endpoint.body } } },
        }),
      };
      return {
        method,
        path: `/api${path.replace(/:(\w+)/g, "{$1}")}`,
        summary: endpoint.summary,
        ...(endpoint.description && { description: endpoint.description }),
        security: securities[endpoint.security],
        ...(Object.keys(request).length > 0 && { request }),
        responses: Object.fromEntries(Object.entries(documented).map(([status, name]) => [status, responses[name!]])),
      };
    }),
  );
}

function pathParameter(pathParameters: Record<string, z.ZodType>, name: string): z.ZodType {
  const schema = pathParameters[name];
  if (!schema) throw new Error(`No OpenAPI schema for the path parameter ${name}`);
  return schema;
}

function describe() {
  // Only OpenAPIHono's registry and generator are used: its `openapi()` routes would validate with
  // their own 400 bodies, so the routes stay plain Hono handlers.
  const generator = new OpenAPIHono();
  const registry = generator.openAPIRegistry;
  // The routes declare their endpoints when their modules load, which src/index.ts does before any request.
  if (endpoints.length === 0) throw new Error("No endpoints declared: import the app before building its document");
  registry.registerComponent("securitySchemes", "ApiKey", { type: "apiKey", in: "header", name: "Authorization" });
  registry.registerComponent("securitySchemes", "JWT", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  registry.registerComponent("securitySchemes", "AccessTokenCookie", { type: "apiKey", in: "cookie", name: "access_token" });
  registry.registerComponent("securitySchemes", "ExportKey", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "A key of EXPORT_KEYS: it opens the export only, and API keys do not open the export.",
  });
  const built = schemas();
  for (const operation of endpoints.flatMap((endpoint) => operations(built, endpoint))) registry.registerPath(operation);
  return generator.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Legacy two-factor edge service",
      version: "1.0.0",
      description:
        "FusionAuth 1.25's legacy two-factor API (TOTP and Twilio SMS) on Cloudflare Workers. Any operation can also answer 400 for a malformed X-FusionAuth-TenantId header, 413 for a body over 1 MiB, and an empty 500 with an X-Request-Id header.",
    },
  });
}

let generated: ReturnType<typeof describe> | undefined;

/**
 * The document, generated once per isolate on first use. zod-to-openapi 9 writes a RegExp with
 * flags (userFields' `/…/u`) as the pattern "…/u"; a JSON Schema pattern is the expression alone
 * (JSON Schema Validation 2020-12, 6.3.3, https://json-schema.org/draft/2020-12/json-schema-validation).
 */
export function openApiDocument(): ReturnType<typeof describe> {
  generated ??= JSON.parse(JSON.stringify(describe()), (key, value) =>
    key === "pattern" && typeof value === "string" ? value.replace(/(?<!\\)\/[a-z]+$/, "") : value,
  );
  return generated!;
}
