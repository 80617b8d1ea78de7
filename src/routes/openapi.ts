// The OpenAPI 3.1 description of every endpoint, served at GET /api/openapi.json. A test checks
// that it lists exactly the app's routes and that it validates against the OpenAPI schema.
import { Hono } from "hono";
import type { AppEnv } from "./http/context";

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object, description: string) => ({ description, content: { "application/json": { schema } } });
const empty = (description: string) => ({ description });
const body = (name: string, required = true) => ({ required, content: { "application/json": { schema: ref(name) } } });
const param = (name: string, where: "path" | "query", description: string, required = where === "path") => ({
  name,
  in: where,
  required,
  description,
  schema: { type: "string" },
});

const responses = {
  badRequest: json(ref("Errors"), "The request was invalid: FusionAuth `Errors` JSON."),
  unauthorized: empty("Missing or wrong API key / JWT. Empty body."),
  notFound: empty("Not found. Empty body."),
  invalidCode: empty("The `code` is not valid. Empty body."),
  prevented: json(ref("LoginPrevented"), "Login is prevented (too many failures); the body holds the prevent-login action."),
  tooMany: json(ref("Errors"), "Too many codes sent; see the `Retry-After` header."),
  ok: empty("Success. Empty body, no content type."),
};

const apiKey = [{ ApiKey: [] }];
const apiKeyOrJwt = [{ ApiKey: [] }, { JWT: [] }, { AccessTokenCookie: [] }];
const anonymous: never[] = [];
const userId = param("userId", "path", "The user's id.");
const tenantHeader = { name: "X-FusionAuth-TenantId", in: "header", required: false, schema: { type: "string" } };

const enable = {
  summary: "Enable two-factor authentication",
  security: apiKeyOrJwt,
  requestBody: body("TwoFactorRequest"),
  responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound, 421: responses.invalidCode },
};
const disable = {
  summary: "Disable two-factor authentication",
  security: apiKeyOrJwt,
  parameters: [param("code", "query", "A current code."), param("userId", "query", "The user (API key calls).", false)],
  responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound, 409: responses.prevented, 421: responses.invalidCode },
};
const userResponses = { 200: json(ref("UserResponse"), "The user."), 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound };
const integrationResponses = { 200: json(ref("IntegrationRequest"), "The integrations (the auth token is never returned)."), 400: responses.badRequest, 401: responses.unauthorized };

const stringProps = (...names: string[]) => Object.fromEntries(names.map((name) => [name, { type: "string" }]));

export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Legacy two-factor edge service",
    version: "1.0.0",
    description:
      "FusionAuth 1.25's legacy two-factor API (TOTP and Twilio SMS) on Cloudflare Workers. Any operation can also answer 400 for a malformed X-FusionAuth-TenantId header, 413 for a body over 1 MiB, and an empty 500 with an X-Request-Id header.",
  },
  components: {
    securitySchemes: {
      ApiKey: { type: "apiKey", in: "header", name: "Authorization" },
      JWT: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      AccessTokenCookie: { type: "apiKey", in: "cookie", name: "access_token" },
    },
    schemas: {
      Errors: {
        type: "object",
        properties: {
          fieldErrors: { type: "object", additionalProperties: { type: "array", items: ref("Error") } },
          generalErrors: { type: "array", items: ref("Error") },
        },
      },
      Error: { type: "object", properties: stringProps("code", "message") },
      LoginPrevented: {
        type: "object",
        properties: {
          actions: {
            type: "array",
            items: { type: "object", properties: { ...stringProps("actionId", "localizedName", "localizedReason", "name", "reason", "reasonCode"), expiry: { type: "integer" } } },
          },
        },
      },
      User: {
        type: "object",
        properties: {
          ...stringProps("id", "tenantId", "email", "username", "password", "mobilePhone", "firstName", "middleName", "lastName", "fullName", "birthDate", "imageUrl", "timezone", "twoFactorSecret"),
          preferredLanguages: { type: "array", items: { type: "string" } },
          data: { type: "object" },
          active: { type: "boolean" },
          verified: { type: "boolean" },
          passwordChangeRequired: { type: "boolean" },
          twoFactorEnabled: { type: "boolean" },
          twoFactorDelivery: { type: "string", enum: ["None", "TextMessage"] },
          expiry: { type: "integer" },
          insertInstant: { type: "integer", readOnly: true },
          lastUpdateInstant: { type: "integer", readOnly: true },
          lastLoginInstant: { type: "integer", readOnly: true },
          passwordLastUpdateInstant: { type: "integer", readOnly: true },
        },
        description: "`password` and `twoFactorSecret` are write-only.",
      },
      UserRequest: { type: "object", required: ["user"], properties: { user: ref("User") } },
      UserResponse: { type: "object", properties: { user: ref("User") } },
      ImportRequest: {
        type: "object",
        required: ["users"],
        properties: {
          users: {
            type: "array",
            maxItems: 100,
            items: { allOf: [ref("User"), { type: "object", properties: { ...stringProps("salt", "encryptionScheme"), factor: { type: "integer" } } }] },
          },
          encryptionScheme: { type: "string" },
          factor: { type: "integer", maximum: 100000 },
          validateDbConstraints: { type: "boolean" },
        },
      },
      LoginRequest: {
        type: "object",
        required: ["loginId", "password"],
        properties: { ...stringProps("loginId", "password", "applicationId", "ipAddress", "twoFactorTrustId"), noJWT: { type: "boolean" }, metaData: { type: "object" } },
      },
      LoginResponse: {
        type: "object",
        properties: { ...stringProps("token", "twoFactorId", "twoFactorTrustId"), user: ref("User") },
      },
      TwoFactorLoginRequest: {
        type: "object",
        required: ["twoFactorId", "code"],
        properties: {
          ...stringProps("twoFactorId", "code", "applicationId", "ipAddress"),
          trustComputer: { type: "boolean" },
          noJWT: { type: "boolean" },
          metaData: { type: "object" },
        },
      },
      SecretResponse: { type: "object", properties: stringProps("secret", "secretBase32Encoded") },
      TwoFactorSendRequest: { type: "object", properties: stringProps("userId", "mobilePhone", "secret") },
      TwoFactorRequest: {
        type: "object",
        required: ["code"],
        properties: { ...stringProps("code", "secret", "secretBase32Encoded"), delivery: { type: "string", enum: ["None", "TextMessage"] } },
      },
      IntegrationRequest: {
        type: "object",
        properties: {
          integrations: {
            type: "object",
            properties: {
              twilio: {
                type: "object",
                properties: { enabled: { type: "boolean" }, ...stringProps("accountSID", "authToken", "fromPhoneNumber", "messagingServiceSid", "url") },
              },
            },
          },
        },
      },
    },
  },
  paths: {
    "/api/status": { get: { summary: "Health", security: anonymous, responses: { 200: json({ type: "object" }, "Up.") } } },
    "/api/openapi.json": { get: { summary: "This document", security: anonymous, responses: { 200: json({ type: "object" }, "OpenAPI 3.1.") } } },
    "/api/two-factor/secret": {
      get: {
        summary: "Generate a two-factor secret",
        security: apiKeyOrJwt,
        responses: { 200: json(ref("SecretResponse"), "A new secret and its Base32 form."), 401: responses.unauthorized },
      },
    },
    "/api/two-factor/send": {
      post: {
        summary: "Text a code: to a phone for a secret being enrolled, to a user by id, or to the JWT's user",
        security: apiKeyOrJwt,
        parameters: [tenantHeader],
        requestBody: body("TwoFactorSendRequest", false),
        responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound, 429: responses.tooMany },
      },
    },
    "/api/two-factor/send/{twoFactorId}": {
      post: {
        summary: "Text another code during a login",
        security: anonymous,
        parameters: [param("twoFactorId", "path", "From the 242 login response.")],
        responses: { 200: responses.ok, 400: responses.badRequest, 404: responses.notFound, 429: responses.tooMany },
      },
    },
    "/api/two-factor/login": {
      post: {
        summary: "Complete a two-factor login",
        security: anonymous,
        requestBody: body("TwoFactorLoginRequest"),
        responses: {
          200: json(ref("LoginResponse"), "Logged in; `twoFactorTrustId` when trustComputer was set."),
          400: responses.badRequest,
          404: empty("Unknown, expired or used twoFactorId. Empty body."),
          409: responses.prevented,
          410: empty("The user has expired. Empty body."),
          421: responses.invalidCode,
        },
      },
    },
    "/api/login": {
      post: {
        summary: "Log in",
        security: apiKey,
        parameters: [tenantHeader],
        requestBody: body("LoginRequest"),
        responses: {
          200: json(ref("LoginResponse"), "Logged in."),
          242: json(ref("LoginResponse"), "Password accepted; complete with POST /api/two-factor/login and the twoFactorId."),
          400: responses.badRequest,
          401: responses.unauthorized,
          404: empty("Unknown login id or wrong password. Empty body."),
          409: responses.prevented,
          410: empty("The user has expired. Empty body."),
          423: empty("The user is deactivated. Empty body."),
        },
      },
    },
    "/api/user/two-factor/{userId}": {
      post: { ...enable, parameters: [userId] },
      put: { ...enable, parameters: [userId] },
      delete: { ...disable, parameters: [userId, param("code", "query", "A current code.")] },
    },
    "/api/user/two-factor": { post: enable, put: enable, delete: disable },
    "/api/user/import": {
      post: {
        summary: "Import users with FusionAuth password hashes and 2FA secrets (all or nothing)",
        security: apiKey,
        requestBody: body("ImportRequest"),
        responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized },
      },
    },
    "/api/user": {
      post: { summary: "Create a user", security: apiKey, requestBody: body("UserRequest"), responses: userResponses },
      get: {
        summary: "Retrieve a user by email, username or loginId (API key), or the JWT's user",
        security: apiKeyOrJwt,
        parameters: [param("email", "query", "", false), param("username", "query", "", false), param("loginId", "query", "", false)],
        responses: userResponses,
      },
    },
    "/api/user/{userId}": {
      post: { summary: "Create a user with this id", security: apiKey, parameters: [userId], requestBody: body("UserRequest"), responses: userResponses },
      get: { summary: "Retrieve a user", security: apiKey, parameters: [userId], responses: userResponses },
      put: { summary: "Replace a user", security: apiKey, parameters: [userId], requestBody: body("UserRequest"), responses: userResponses },
      patch: { summary: "Update some of a user's fields", security: apiKey, parameters: [userId], requestBody: body("UserRequest"), responses: userResponses },
      delete: {
        summary: "Delete a user",
        security: apiKey,
        parameters: [userId],
        responses: { 200: responses.ok, 400: responses.badRequest, 401: responses.unauthorized, 404: responses.notFound },
      },
    },
    "/api/integration": {
      get: { summary: "Retrieve the integrations", security: apiKey, responses: integrationResponses },
      put: { summary: "Replace the Twilio integration", security: apiKey, requestBody: body("IntegrationRequest"), responses: integrationResponses },
      patch: { summary: "Update some Twilio integration fields", security: apiKey, requestBody: body("IntegrationRequest"), responses: integrationResponses },
    },
  },
};

export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", (c) => c.json(openApiDocument));
