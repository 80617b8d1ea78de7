// The JSON request bodies, queries and headers of the API as zod schemas: the routes validate with
// them (readJson, check) and declare them (./endpoint.ts), and the OpenAPI description is generated
// from the declarations (./openapi-document.ts), so the two cannot disagree.
import { z } from "zod";
import { EVENT_TYPES } from "../../domain/events";
import { EMAIL_SECURITIES, EMAIL_TRANSPORTS, REFUSED_SMTP_PORT } from "../../domain/integrations";
import { MAX_METHOD_NAME, MAX_METHODS, METHOD_KINDS } from "../../domain/methods";
import { isEmailAddress } from "../../domain/login-id";
import { MAX_PBKDF2_FACTOR } from "../../domain/password";
import { RECOVERY_CODE_COUNT } from "../../domain/recovery-codes";
import { RECOVERY_CODE_SCHEMES, RECOVERY_CODE_WORK_FACTOR } from "../../domain/user-export";
import { TWO_FACTOR_DELIVERIES, type UserInput } from "../../domain/user-input";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../domain/password";
import type { TwoFactorDelivery } from "../../domain/user";
import { headerProblem, MAX_WEBHOOK_HEADERS } from "../../domain/webhook-destination";
import { MIN_SIGNING_KEY_BYTES } from "../../domain/webhook-signature";
import { codeField, fusionAuthId } from "./validate";

// No control, format (e.g. bidi overrides) or lone surrogate characters: login ids are shown to
// people and used as lookup keys. An email is also an address (src/domain/login-id.ts).
const USERNAME = /^[^\p{C}]+$/u;
const text = (max: number) => z.string().trim().max(max);
const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/**
 * FusionAuth's `TwoFactorDelivery`, always answered as its name. `@fusionauth/typescript-client`
 * before 1.19 declared it as a numeric TypeScript enum (`None = 0`, `TextMessage = 1`) and so sent
 * `0` / `1`, which FusionAuth's Java server (Jackson reading an enum by ordinal) took as
 * `None` / `TextMessage`. Any other number, a numeric string or a boolean is refused.
 */
export const twoFactorDelivery = z
  .union([z.enum(TWO_FACTOR_DELIVERIES), z.literal(0), z.literal(1)])
  .transform((delivery): TwoFactorDelivery => (typeof delivery === "number" ? TWO_FACTOR_DELIVERIES[delivery] : delivery))
  .describe("`None` or `TextMessage`; the numbers `0` and `1` (clients before 1.19) mean the same. Answered as the name.");

const userFields = z.object({
  email: text(254)
    .refine(isEmailAddress)
    .nullish()
    .describe("An address: a dot-atom local part (no quotes) of at most 64 characters, a domain of two or more labels (Unicode or punycode), 254 in all."),
  username: text(191).min(1).regex(USERNAME).nullish(),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `[tooShort]The [user.password] must be at least ${MIN_PASSWORD_LENGTH} characters.`)
    .max(MAX_PASSWORD_LENGTH, `[tooLong]The [user.password] must be at most ${MAX_PASSWORD_LENGTH} characters.`)
    .nullish(),
  mobilePhone: text(64)
    .nullish()
    .describe(
      "A number a text can reach: E.164 once normalised (`555-555-5555` is read in `DEFAULT_PHONE_REGION`), else `[invalid]user.mobilePhone`. Stored as given.",
    ),
  firstName: text(255).nullish(),
  middleName: text(255).nullish(),
  lastName: text(255).nullish(),
  fullName: text(255).nullish(),
  birthDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullish(),
  imageUrl: z.url().max(2048).nullish(),
  timezone: text(64).nullish(),
  preferredLanguages: z.array(text(32)).max(20).nullish(),
  data: z.record(z.string(), z.unknown()).nullish(),
  active: z.boolean().nullish(),
  verified: z.boolean().nullish(),
  passwordChangeRequired: z.boolean().nullish(),
  expiry: z.number().int().positive().nullish(),
  tenantId: fusionAuthId.nullish(),
  twoFactorEnabled: z.boolean().nullish(),
  twoFactorDelivery: twoFactorDelivery.nullish(),
  twoFactorSecret: z.string().max(256).nullish(),
  twoFactor: z
    .object({
      methods: z
        .array(
          z.object({
            id: z.string().max(64).nullish().describe("Names an existing method, which is kept as it is; other methods get ids made by the server."),
            method: z.enum(METHOD_KINDS).nullish(),
            secret: z.string().trim().max(256).nullish().describe("Base64; required for an authenticator."),
            mobilePhone: z.string().trim().max(64).nullish(),
            email: z.string().trim().max(254).nullish(),
            name: z.string().trim().max(MAX_METHOD_NAME).nullish(),
          }),
        )
        .max(MAX_METHODS)
        .nullish()
        .describe("FusionAuth 1.26+: the user's methods, added without a code. A PUT keeps the methods it names by id and drops the others; a PATCH appends."),
      recoveryCodes: z
        .array(z.string().max(64))
        .max(RECOVERY_CODE_COUNT)
        .nullish()
        .describe("Import only: the user's recovery codes, as typed (hashed on the way in) or as hashes under `recoveryCodeEncryptionScheme`."),
      recoveryCodeEncryptionScheme: z
        .string()
        .max(64)
        .nullish()
        .describe(
          `Import only (FusionAuth 1.68): the codes are Base64 hashes under this scheme, one of ${RECOVERY_CODE_SCHEMES.join(", ")} (see README, Export).`,
        ),
      recoveryCodeWorkFactor: z.number().int().nullish().describe(`Import only, with the scheme: ${RECOVERY_CODE_WORK_FACTOR}.`),
    })
    .nullish(),
});

/**
 * A login's `metaData` (FusionAuth: the device's name, type, description) is kept with each pending
 * login and login record; this is far above real use and keeps an account far below its object's
 * storage limits (src/objects/user/store.ts).
 */
export const MAX_META_DATA_BYTES = 8 * 1024;

const loginOptions = {
  applicationId: fusionAuthId.nullish(),
  ipAddress: z.string().max(64).nullish(),
  noJWT: z.boolean().nullish(),
  metaData: z
    .record(z.string(), z.unknown())
    .refine((metaData) => jsonBytes(metaData) <= MAX_META_DATA_BYTES, `[tooLarge]The [metaData] property must be at most ${MAX_META_DATA_BYTES} bytes of JSON.`)
    .nullish()
    .describe(`Kept with the pending login and the login record: at most ${MAX_META_DATA_BYTES} bytes of JSON.`),
};

/** FusionAuth Login API, `POST /api/login`. */
export const loginRequest = z.object({
  loginId: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
  twoFactorTrustId: z.string().max(128).nullish(),
  ...loginOptions,
});

/**
 * FusionAuth Complete Two Factor Authentication, `POST /api/two-factor/login`. FusionAuth documents
 * `applicationId` and `noJWT` as optional here (https://fusionauth.io/docs/v1/tech/apis/login); this
 * call needs no API key, so they are read (and checked) but the token follows the password step's.
 */
export const twoFactorLoginRequest = z.object({
  twoFactorId: z.string().min(1).max(128),
  code: codeField,
  trustComputer: z.boolean().nullish(),
  ...loginOptions,
  applicationId: loginOptions.applicationId.describe("Ignored: the token is for the applicationId of the password step (`POST /api/login`)."),
  noJWT: loginOptions.noJWT.describe("Ignored: the password step's noJWT decides whether a token is issued."),
  metaData: loginOptions.metaData.describe("Ignored: the login record keeps the password step's metaData."),
});

/** A method's id in a request (FusionAuth 1.26+). */
const methodIdField = z.string().trim().min(1).max(64);
/** What 1.30+ clients add to MFA requests; accepted and not used. */
const eventFields = { applicationId: fusionAuthId.nullish(), eventInfo: z.record(z.string(), z.unknown()).nullish() };

/**
 * Enable two-factor authentication: the legacy body (`delivery`, FusionAuth before 1.26) or a method
 * (`method`, 1.26+); which one is told by `method`, and a body with both is refused.
 */
export const enableRequest = z.object({
  code: codeField,
  secret: z.string().trim().max(256).nullish(),
  secretBase32Encoded: z.string().trim().max(512).nullish(),
  delivery: twoFactorDelivery.nullish(),
  method: z
    .enum(METHOD_KINDS)
    .nullish()
    .describe(
      "1.26+: `authenticator` (with `secret` or `secretBase32Encoded`), `sms` (with `mobilePhone`) or `email` (with `email`), with the code sent there.",
    ),
  mobilePhone: z.string().trim().max(64).nullish(),
  email: z.string().trim().max(254).nullish(),
  name: z.string().trim().max(MAX_METHOD_NAME).nullish(),
  twoFactorId: z.string().max(128).nullish(),
  ...eventFields,
});

/**
 * Send a two-factor code: the legacy forms (`{mobilePhone, secret}`, `{userId}`, or nothing with a
 * JWT) or the 1.26+ ones (`{userId, method: "sms", mobilePhone}` or `{userId, method: "email",
 * email}` to enable, `{userId, methodId}` to disable; without `userId` with a JWT).
 */
export const sendRequest = z.object({
  userId: fusionAuthId.nullish(),
  mobilePhone: z.string().trim().max(64).nullish(),
  secret: z.string().trim().max(256).nullish(),
  method: z.enum(METHOD_KINDS).nullish(),
  methodId: methodIdField.nullish(),
  email: z.string().trim().max(254).nullish(),
  messageType: z.enum(["SMS"]).nullish().describe("Only `SMS`: no voice calls."),
  ...eventFields,
});

/**
 * A code for a pending login (`POST /api/two-factor/send/{twoFactorId}`, no credentials): only
 * `methodId` (1.26+) or nothing (the legacy resend). The enable and disable forms need credentials.
 */
export const loginSendRequest = z.strictObject({
  methodId: methodIdField.nullish(),
  messageType: z.enum(["SMS"]).nullish(),
  applicationId: fusionAuthId.nullish(),
});

/** Disable: `methodId` (1.26+, query or JSON body) and `code`; the legacy disable sends only `code`. */
export const disableRequest = z.object({ methodId: methodIdField.nullish(), code: codeField.nullish(), ...eventFields });

/** Name a method (FusionAuth 1.68 `PUT /api/user/two-factor/{userId}`). */
export const renameRequest = z.object({ methodId: methodIdField, name: z.string().trim().max(MAX_METHOD_NAME), ...eventFields });

/** FusionAuth Start (`POST /api/two-factor/start`): a pending login for step-up, by `userId` or `loginId`. */
export const startRequest = z.object({
  userId: fusionAuthId.nullish(),
  loginId: z.string().trim().min(1).max(320).nullish(),
  applicationId: fusionAuthId.nullish(),
  code: z.string().trim().min(1).max(64).nullish().describe("Your own code, delivered your own way; else one is made (6 digits)."),
  state: z
    .record(z.string(), z.unknown())
    .refine((state) => jsonBytes(state) <= MAX_META_DATA_BYTES, `[tooLarge]The [state] property must be at most ${MAX_META_DATA_BYTES} bytes of JSON.`)
    .nullish()
    .describe("Echoed by the completion (`POST /api/two-factor/login`)."),
  trustChallenge: z.string().max(256).nullish(),
  loginIdTypes: z.array(z.string()).max(4).nullish(),
});

/** FusionAuth two-factor status (1.37 GET query, 1.62 POST body). */
export const statusRequest = z.object({
  userId: fusionAuthId,
  twoFactorTrustId: z.string().min(1).max(128).nullish(),
  applicationId: fusionAuthId.nullish(),
  action: z.enum(["login", "changePassword", "stepUp"]).nullish(),
  accessToken: z.string().max(8192).nullish(),
  eventInfo: z.record(z.string(), z.unknown()).nullish(),
});

/** FusionAuth User API: create, replace, merge. */
export const userRequest = z.object({ user: userFields satisfies z.ZodType<UserInput> });

/** Each user costs a few Durable Object calls and KV writes; this keeps a request inside Workers' per-invocation limits. */
export const MAX_IMPORT_USERS = 100;

const importedUser = userFields.extend({
  id: fusionAuthId.nullish(),
  password: z.string().min(1).max(512),
  salt: z.string().min(1).max(512).nullish(),
  factor: z.number().int().positive().max(MAX_PBKDF2_FACTOR, `[invalid]The factor must be at most ${MAX_PBKDF2_FACTOR}.`).nullish(),
  encryptionScheme: z.string().nullish(),
  insertInstant: z.number().int().nonnegative().nullish(),
  passwordLastUpdateInstant: z.number().int().nonnegative().nullish(),
  /** Recovery codes to keep (as the user has them, e.g. from FusionAuth 1.26+); hashed on the way in. */
  twoFactorRecoveryCodes: z.array(z.string().max(64)).max(RECOVERY_CODE_COUNT).nullish(),
});

/** FusionAuth Import API, `POST /api/user/import`. */
export const importRequest = z.object({
  users: z
    .array(importedUser)
    .min(1)
    .max(MAX_IMPORT_USERS, `[tooMany]Import at most ${MAX_IMPORT_USERS} users per request; split larger exports (see scripts/import-users.mjs).`),
  encryptionScheme: z.string().nullish(),
  factor: z.number().int().positive().max(MAX_PBKDF2_FACTOR, `[invalid]The factor must be at most ${MAX_PBKDF2_FACTOR}.`).nullish(),
  validateDbConstraints: z.boolean().nullish(),
});

const twilioFields = z.object({
  enabled: z.boolean().nullish(),
  accountSID: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/)
    .nullish(),
  authToken: z.string().trim().min(1).max(256).nullish(),
  fromPhoneNumber: z.string().trim().max(64).nullish(),
  messagingServiceSid: z
    .string()
    .trim()
    .regex(/^MG[0-9a-fA-F]{32}$/)
    .nullish(),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .nullish(),
});

/** FusionAuth's tenant `emailConfiguration` fields, with `enabled` and the transport. */
const emailFields = z.object({
  enabled: z.boolean().nullish(),
  transport: z
    .enum(EMAIL_TRANSPORTS)
    .nullish()
    .describe("`cloudflare` (the Worker's `send_email` binding) or `smtp`; when left out, `smtp` if a `host` is set, else `cloudflare`."),
  host: z
    .string()
    .trim()
    .regex(/^[^\s/:@]+$/)
    .max(253)
    .nullish()
    .describe("The SMTP server's host name or address."),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .refine((port) => port !== REFUSED_SMTP_PORT, `[invalid]Port ${REFUSED_SMTP_PORT} cannot be used: Workers cannot connect to it.`)
    .nullish()
    .describe("Default 465 for `SSL` (the default security), else 587. Not 25: Workers cannot open connections to port 25."),
  security: z.enum(EMAIL_SECURITIES).nullish().describe("`SSL` (TLS from the first byte, the default), `TLS` (STARTTLS, when the server offers it) or `NONE`."),
  username: text(320).min(1).nullish(),
  password: z.string().min(1).max(1024).nullish().describe("Write-only: never answered, stored encrypted."),
  defaultFromEmail: text(254).refine(isEmailAddress).nullish(),
  // Written into the From header as a quoted display name: no quote, backslash or control character.
  defaultFromName: text(255)
    .regex(/^[^\p{C}"\\]+$/u)
    .nullish(),
});

/** FusionAuth Integrations API, Twilio and email parts: `PUT` / `PATCH /api/integration`. */
export const integrationRequest = z.object({ integrations: z.object({ twilio: twilioFields.nullish(), email: emailFields.nullish() }).passthrough() });

/** A millisecond instant or count in a query string. */
const queryInteger = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);

/** FusionAuth Login Record API search (`GET /api/system/login-record/search`); the records are kept per user. */
export const loginRecordSearchQuery = z.object({
  userId: fusionAuthId,
  applicationId: fusionAuthId.optional(),
  start: queryInteger.optional().describe("Earliest instant (ms)."),
  end: queryInteger.optional().describe("Latest instant (ms)."),
  startRow: queryInteger.optional().default(0),
  numberOfResults: queryInteger.pipe(z.number().int().min(1).max(500)).optional().default(25),
});

/** The SMS guard's report (`GET /api/system/sms-report`): the clock hours from `start` to `end`. */
export const smsReportQuery = z.object({
  start: queryInteger.optional().describe("Earliest instant (ms); default: 24 hours before `end`. Figures are kept 48 hours."),
  end: queryInteger.optional().describe("Latest instant (ms); default: now."),
});

/** The export (`GET /api/system/export`): one page of users. */
export const exportQuery = z.object({
  cursor: z.string().min(1).max(1024).optional().describe("The `nextCursor` of the page before; none for the first page."),
  limit: queryInteger.pipe(z.number().int().min(1).max(500)).optional().default(100).describe("Users per page, 1 to 500 (default 100)."),
});

/** The local outbox (`GET /api/email/outbox`). */
export const outboxQuery = z.object({ to: text(254).min(1).optional().describe("Only the messages to this address (compared without case).") });

/** Disable two-factor authentication (`DELETE /api/user/two-factor[/{userId}]`). */
export const disableQuery = z.object({ code: codeField.describe("A current code, or one of the user's recovery codes.") });

/** Generate recovery codes: the user's own call (a JWT) proves their second factor first. */
export const recoveryCodeRequest = z.object({
  code: codeField
    .optional()
    .describe("A current code (or a texted one, or one of the user's recovery codes): required with a JWT, checked when an API key sends one."),
});

/** Retrieve a user by one login id (`GET /api/user`, API key); the first one given counts. */
export const userLookupQuery = z.object({ email: z.string().optional(), username: z.string().optional(), loginId: z.string().optional() });

/** Whether a trust id would skip the second factor for this user (`GET /api/two-factor/status/{twoFactorTrustId}`). */
export const trustStatusQuery = z.object({ userId: fusionAuthId });

/** FusionAuth's `X-FusionAuth-TenantId` header, checked for every request (./context.ts). */
export const tenantHeader = z.object({ "X-FusionAuth-TenantId": fusionAuthId.optional() });

/** A trusted device to revoke (`deviceId` from the device list); without it, all of them. */
export const trustRevokeQuery = z.object({
  deviceId: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
});

/** FusionAuth's defaults for a webhook's timeouts (ms). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
export const DEFAULT_READ_TIMEOUT_MS = 2000;
const MAX_TIMEOUT_MS = 60_000;
/** A header name is an RFC 9110 §5.6.2 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
/** Visible ASCII, spaces and tabs: no CR, LF or NUL (RFC 9110 §5.5), nothing a Headers object would refuse. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

const timeout = (fallback: number) =>
  z
    .number()
    .int()
    .positive()
    .max(MAX_TIMEOUT_MS)
    .nullish()
    .describe(`Milliseconds (default ${fallback}, FusionAuth's). With the other timeout, bounds a delivery.`);

const webhookFields = z.object({
  url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .describe("A public `https` host; loopback (also over `http`) only when `WEBHOOK_ALLOW_LOOPBACK` is `true`, for local development."),
  eventsEnabled: z
    .partialRecord(z.enum(EVENT_TYPES), z.boolean(), {
      // Keys outside the enum are reported as `unrecognized_keys`, a code zod's types do not list here.
      error: (issue) => {
        const unknown = (issue as { keys?: string[] }).keys;
        return unknown ? `[invalid]Unknown event type ${unknown.join(", ")}: the types sent are ${EVENT_TYPES.join(", ")}.` : undefined;
      },
    })
    .nullish()
    .describe('The events sent to this webhook: `{"user.login.success": true, …}`.'),
  headers: z
    .record(z.string().regex(HEADER_NAME), z.string().max(1024).regex(HEADER_VALUE))
    .superRefine((headers, context) => {
      const names = Object.keys(headers);
      if (names.length > MAX_WEBHOOK_HEADERS) context.addIssue({ code: "custom", message: `[tooMany]At most ${MAX_WEBHOOK_HEADERS} headers.` });
      for (const name of names) {
        const problem = headerProblem(name);
        if (problem) context.addIssue({ code: "custom", path: [name], message: `[${problem.type}]${problem.message}` });
      }
    })
    .nullish()
    .describe(
      "Sent with every delivery; not the connection's own (`Connection`, `Upgrade`, `Transfer-Encoding`, …) nor `Content-Type` or the signature header. " +
        "Values are write-only: answered as empty strings, and in a PUT an empty value keeps the stored one while the `url` stays the same.",
    ),
  connectTimeout: timeout(DEFAULT_CONNECT_TIMEOUT_MS),
  readTimeout: timeout(DEFAULT_READ_TIMEOUT_MS),
  description: z.string().trim().max(256).nullish(),
  signatureConfiguration: z
    .object({
      enabled: z.boolean().nullish().describe("Sign deliveries (default true)."),
      signingKey: z
        .string()
        .max(512)
        .refine(
          (key) => new TextEncoder().encode(key).length >= MIN_SIGNING_KEY_BYTES,
          `[tooShort]The signing key must be at least ${MIN_SIGNING_KEY_BYTES} bytes (RFC 7518 §3.2).`,
        )
        .nullish()
        .describe(
          "The HS256 key (its UTF-8 bytes). Write-only: generated when a create leaves it out, answered once by the create; a PUT without it keeps it.",
        ),
    })
    .nullish(),
});

/** FusionAuth Webhook API: `POST /api/webhook[/{webhookId}]`, `PUT /api/webhook/{webhookId}`. */
export const webhookRequest = z.object({ webhook: webhookFields });
