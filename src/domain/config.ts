import { MAX_PBKDF2_FACTOR } from "./password";
import { NUMBER_CLASSES, type ClientCaps, type DestinationPolicy } from "./sms-guard";

// Every tunable named once, with FusionAuth's defaults. Read from Worker vars so operators can
// change them without a code change; invalid values fall back to the default. src/kv/config.ts
// reads them from the Worker's env.

/** The Worker vars the config is read from (all optional strings). */
export type ConfigVars = Partial<
  Record<
    | "DEFAULT_PHONE_REGION"
    | "EMAIL_MAX_PER_ADDRESS_PER_HOUR"
    | "EMAIL_MAX_PER_CALLER_PER_HOUR"
    | "EMAIL_MAX_PER_DOMAIN_PER_HOUR"
    | "EMAIL_MAX_PER_HOUR"
    | "EMAIL_MAX_PER_IP_PER_HOUR"
    | "EMAIL_MAX_PER_UNPARSEABLE_IP_PER_HOUR"
    | "EMAIL_MIN_INTERVAL_SECONDS"
    | "FAILED_AUTH_ACTION_DURATION_SECONDS"
    | "FAILED_AUTH_RESET_COUNT_SECONDS"
    | "FAILED_AUTH_TOO_MANY_ATTEMPTS"
    | "JWT_ISSUER"
    | "JWT_TTL_SECONDS"
    | "LOGIN_RECORDS_MAX_PER_USER"
    | "LOGIN_RECORDS_RETENTION_DAYS"
    | "LOGIN_REQUIRES_API_KEY"
    | "PASSWORD_FACTOR"
    | "SMART_LOCKOUT_NETWORK_MEMORY_SECONDS"
    | "SMS_ALLOWED_COUNTRIES"
    | "SMS_ALLOW_UNASSIGNED_NUMBERS"
    | "SMS_BODY_TEMPLATE"
    | "SMS_CODE_TTL_SECONDS"
    | "SMS_MAX_PER_CHALLENGE"
    | "SMS_MAX_PER_COUNTRY_PER_HOUR"
    | "SMS_MAX_PER_HOUR"
    | "SMS_MAX_PER_IP_PER_HOUR"
    | "SMS_MAX_PER_UNPARSEABLE_IP_PER_HOUR"
    | "SMS_MAX_PER_CALLER_PER_HOUR"
    | "SMS_MAX_PER_PHONE_PER_HOUR"
    | "SMS_MAX_PER_RANGE_PER_HOUR"
    | "SMS_MIN_INTERVAL_SECONDS"
    | "SMS_REFUSED_NUMBER_TYPES"
    | "TWO_FACTOR_ID_TTL_SECONDS"
    | "TWO_FACTOR_LOCKOUT_FAILURES"
    | "TWO_FACTOR_LOCKOUT_SECONDS"
    | "TWO_FACTOR_TRUST_ID_TTL_SECONDS"
    | "LOGIN_REPLICA_DELAY_SECONDS"
    | "WEBHOOK_ALLOW_LOOPBACK"
    | "EMAIL_SUBJECT_TEMPLATE"
    | "EMAIL_TEXT_TEMPLATE"
    | "EMAIL_HTML_TEMPLATE"
    | "EMAIL_APPLICATION_NAME"
    | "EMAIL_FROM_NAME"
    | "EMAIL_CODE_ORIGIN",
    string
  >
>;

export type Config = {
  loginRequiresApiKey: boolean;
  jwtIssuer: string;
  jwtTtlSeconds: number;
  passwordFactor: number;
  twoFactorIdTtlSeconds: number;
  twoFactorTrustIdTtlSeconds: number;
  maxCodeAttemptsPerChallenge: number;
  twoFactorLockout: { failuresPerLock: number; baseSeconds: number; maxSeconds: number };
  failedAuthentication: { tooManyAttempts: number; resetCountSeconds: number; actionDurationSeconds: number };
  /** How long a network the user logged in from stays familiar. */
  smartLockout: { networkMemorySeconds: number };
  /** How soon the KV replica follows a change that only moved the last login instant (KV takes one write per key per second). */
  loginReplicaDelaySeconds: number;
  /** Login records kept per user: at most `maxPerUser`, none older than `retentionDays`. */
  loginRecords: { maxPerUser: number; retentionDays: number };
  defaultPhoneRegion: string;
  sms: {
    codeTtlSeconds: number;
    bodyTemplate: string;
    minIntervalSeconds: number;
    maxPerChallenge: number;
    maxPerPhonePerHour: number;
    /** The toll-fraud guard (src/domain/sms-guard.ts); the hourly limits count per clock hour except the range's. */
    guard: DestinationPolicy & {
      maxPerRangePerHour: number;
      maxPerIpPerHour: number;
      /** The one client every address that cannot be read counts as (see clientAllowance). */
      maxPerUnparseableIpPerHour: number;
      /** Per API-key or JWT caller that reports no end user's address, counted by its connecting address. */
      maxPerCallerPerHour: number;
      /** All countries together. */
      maxPerHour: number;
      /** Per country (ISO region, or `+<calling code>` for numbers without one): `byCountry`, else `otherCountries`. */
      maxPerCountryPerHour: { byCountry: Record<string, number>; otherCountries: number };
    };
  };
  /** Webhooks may post to loopback hosts, over http too (local development only; src/domain/webhook-destination.ts). */
  webhookAllowLoopback: boolean;
  email: {
    /** The limits in front of every code email (src/domain/email-guard.ts); per clock hour except the address's and the domain's (the last 60 minutes). */
    guard: ClientCaps & {
      minIntervalSeconds: number;
      maxPerAddressPerHour: number;
      maxPerDomainPerHour: number;
      maxPerHour: number;
    };
    /** The emailed code's message (src/email/message.ts). */
    message: EmailMessageConfig;
  };
};

/**
 * The emailed code's subject, text and HTML, with the placeholders `{code}`, `{minutes}` (the
 * lifetime in words: "1 minute", "5 minutes") and `{application}`; `codeOrigin` is the host name of
 * the origin-bound line that ends the text (https://wicg.github.io/sms-one-time-codes/), or null.
 */
export type EmailMessageConfig = {
  subjectTemplate: string;
  textTemplate: string;
  htmlTemplate: string;
  applicationName: string;
  codeOrigin: string | null;
};

export const DEFAULTS = {
  jwtIssuer: "acme.com",
  jwtTtlSeconds: 3600,
  passwordFactor: 24_000,
  twoFactorIdTtlSeconds: 300,
  twoFactorTrustIdTtlSeconds: 2_592_000,
  maxCodeAttemptsPerChallenge: 5,
  twoFactorLockoutFailures: 5,
  twoFactorLockoutBaseSeconds: 180,
  twoFactorLockoutMaxSeconds: 86_400,
  tooManyAttempts: 5,
  resetCountSeconds: 60,
  actionDurationSeconds: 180,
  smartLockoutNetworkMemorySeconds: 30 * 86_400,
  loginReplicaDelaySeconds: 300,
  loginRecordsMaxPerUser: 100,
  loginRecordsRetentionDays: 90,
  defaultPhoneRegion: "US",
  smsCodeTtlSeconds: 300,
  smsBodyTemplate: "Two Factor Code: {code}",
  smsMinIntervalSeconds: 30,
  smsMaxPerChallenge: 5,
  smsMaxPerPhonePerHour: 10,
  smsMaxPerRangePerHour: 30,
  smsMaxPerIpPerHour: 30,
  smsMaxPerHour: 1000,
  smsMaxPerOtherCountryPerHour: 100,
  emailMinIntervalSeconds: 30,
  emailMaxPerAddressPerHour: 10,
  emailMaxPerIpPerHour: 30,
  emailMaxPerHour: 1000,
  // The code first: mail clients that offer one-time-code autofill (Apple Mail, Gmail) read the subject.
  emailSubjectTemplate: "{code} is your {application} verification code",
  emailTextTemplate: [
    "Your {application} verification code is {code}",
    "",
    "This code expires in {minutes}. Do not share it: nobody from {application} will ask you for it.",
    "",
    "If you did not ask for this code, someone may know your password: change it.",
  ].join("\n"),
  // No links, no remote images, no tracking: the code, how long it lasts, and who sent it.
  emailHtmlTemplate: [
    "<!DOCTYPE html>",
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{application} verification code</title></head>',
    '<body style="font-family: sans-serif; line-height: 1.5">',
    "<p>Your {application} verification code is</p>",
    '<p style="font-family: monospace; font-size: 28px; font-weight: bold; letter-spacing: 4px">{code}</p>',
    "<p>This code expires in {minutes}. Do not share it: nobody from {application} will ask you for it.</p>",
    "<p>If you did not ask for this code, someone may know your password: change it.</p>",
    "</body></html>",
  ].join("\n"),
} as const;

function positiveInt(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : fallback;
}

export function parseConfig(env: ConfigVars): Config {
  const defaultPhoneRegion = env.DEFAULT_PHONE_REGION || DEFAULTS.defaultPhoneRegion;
  return {
    loginRequiresApiKey: env.LOGIN_REQUIRES_API_KEY !== "false",
    jwtIssuer: env.JWT_ISSUER || DEFAULTS.jwtIssuer,
    jwtTtlSeconds: positiveInt(env.JWT_TTL_SECONDS, DEFAULTS.jwtTtlSeconds),
    passwordFactor: Math.min(positiveInt(env.PASSWORD_FACTOR, DEFAULTS.passwordFactor), MAX_PBKDF2_FACTOR),
    twoFactorIdTtlSeconds: positiveInt(env.TWO_FACTOR_ID_TTL_SECONDS, DEFAULTS.twoFactorIdTtlSeconds),
    twoFactorTrustIdTtlSeconds: positiveInt(env.TWO_FACTOR_TRUST_ID_TTL_SECONDS, DEFAULTS.twoFactorTrustIdTtlSeconds),
    maxCodeAttemptsPerChallenge: DEFAULTS.maxCodeAttemptsPerChallenge,
    twoFactorLockout: {
      failuresPerLock: positiveInt(env.TWO_FACTOR_LOCKOUT_FAILURES, DEFAULTS.twoFactorLockoutFailures),
      baseSeconds: positiveInt(env.TWO_FACTOR_LOCKOUT_SECONDS, DEFAULTS.twoFactorLockoutBaseSeconds),
      maxSeconds: DEFAULTS.twoFactorLockoutMaxSeconds,
    },
    failedAuthentication: {
      tooManyAttempts: positiveInt(env.FAILED_AUTH_TOO_MANY_ATTEMPTS, DEFAULTS.tooManyAttempts),
      resetCountSeconds: positiveInt(env.FAILED_AUTH_RESET_COUNT_SECONDS, DEFAULTS.resetCountSeconds),
      actionDurationSeconds: positiveInt(env.FAILED_AUTH_ACTION_DURATION_SECONDS, DEFAULTS.actionDurationSeconds),
    },
    smartLockout: { networkMemorySeconds: positiveInt(env.SMART_LOCKOUT_NETWORK_MEMORY_SECONDS, DEFAULTS.smartLockoutNetworkMemorySeconds) },
    loginReplicaDelaySeconds: positiveInt(env.LOGIN_REPLICA_DELAY_SECONDS, DEFAULTS.loginReplicaDelaySeconds),
    loginRecords: {
      maxPerUser: positiveInt(env.LOGIN_RECORDS_MAX_PER_USER, DEFAULTS.loginRecordsMaxPerUser),
      retentionDays: positiveInt(env.LOGIN_RECORDS_RETENTION_DAYS, DEFAULTS.loginRecordsRetentionDays),
    },
    defaultPhoneRegion,
    sms: {
      codeTtlSeconds: positiveInt(env.SMS_CODE_TTL_SECONDS, DEFAULTS.smsCodeTtlSeconds),
      bodyTemplate: env.SMS_BODY_TEMPLATE?.includes("{code}") ? env.SMS_BODY_TEMPLATE : DEFAULTS.smsBodyTemplate,
      minIntervalSeconds: positiveInt(env.SMS_MIN_INTERVAL_SECONDS, DEFAULTS.smsMinIntervalSeconds),
      maxPerChallenge: positiveInt(env.SMS_MAX_PER_CHALLENGE, DEFAULTS.smsMaxPerChallenge),
      maxPerPhonePerHour: positiveInt(env.SMS_MAX_PER_PHONE_PER_HOUR, DEFAULTS.smsMaxPerPhonePerHour),
      guard: smsGuard(env, defaultPhoneRegion),
    },
    webhookAllowLoopback: env.WEBHOOK_ALLOW_LOOPBACK === "true",
    email: { guard: emailGuard(env), message: emailMessage(env) },
  };
}

/** A host name (letters, digits, hyphens; two labels or more), lower-cased, or null. */
function hostName(value: string | undefined): string | null {
  const host = value?.trim().toLowerCase() ?? "";
  const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
  return host.length <= 253 && new RegExp(`^${label}(?:\\.${label})+$`).test(host) ? host : null;
}

/**
 * The emailed code's templates. A text or HTML template without `{code}` is ignored, as
 * SMS_BODY_TEMPLATE is. The application's name: EMAIL_APPLICATION_NAME, else EMAIL_FROM_NAME (the
 * sender's name the recipient sees), else JWT_ISSUER (the name of the service the tokens are for).
 */
function emailMessage(env: ConfigVars): EmailMessageConfig {
  const withCode = (template: string | undefined, fallback: string) => (template?.includes("{code}") ? template : fallback);
  return {
    subjectTemplate: env.EMAIL_SUBJECT_TEMPLATE?.trim() || DEFAULTS.emailSubjectTemplate,
    textTemplate: withCode(env.EMAIL_TEXT_TEMPLATE, DEFAULTS.emailTextTemplate),
    htmlTemplate: withCode(env.EMAIL_HTML_TEMPLATE, DEFAULTS.emailHtmlTemplate),
    applicationName: env.EMAIL_APPLICATION_NAME?.trim() || env.EMAIL_FROM_NAME?.trim() || env.JWT_ISSUER?.trim() || DEFAULTS.jwtIssuer,
    codeOrigin: hostName(env.EMAIL_CODE_ORIGIN),
  };
}

const listed = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);

/**
 * The toll-fraud guard's settings. `SMS_ALLOWED_COUNTRIES`: ISO regions, comma-separated, or `*`
 * (default: the default phone region's country). `SMS_REFUSED_NUMBER_TYPES`: number classes, or
 * `none`. `SMS_MAX_PER_COUNTRY_PER_HOUR`: a number for every country not named, and `CC:number`
 * entries; the default region's country may use the whole `SMS_MAX_PER_HOUR` unless named.
 * `SMS_MAX_PER_UNPARSEABLE_IP_PER_HOUR` defaults to `SMS_MAX_PER_IP_PER_HOUR`,
 * `SMS_MAX_PER_CALLER_PER_HOUR` to half of `SMS_MAX_PER_HOUR`.
 */
function smsGuard(env: ConfigVars, defaultPhoneRegion: string): Config["sms"]["guard"] {
  const home = defaultPhoneRegion.trim().toUpperCase();
  const maxPerHour = positiveInt(env.SMS_MAX_PER_HOUR, DEFAULTS.smsMaxPerHour);
  const countries = listed(env.SMS_ALLOWED_COUNTRIES).map((entry) => entry.toUpperCase());
  const allowedCountries = countries.includes("*") ? "*" : countries.filter((entry) => /^[A-Z]{2}$/.test(entry));
  const classes = listed(env.SMS_REFUSED_NUMBER_TYPES).map((entry) => entry.toLowerCase());
  const refusedNumberClasses = NUMBER_CLASSES.filter((numberClass) => classes.includes(numberClass));
  const maxPerCountryPerHour: Config["sms"]["guard"]["maxPerCountryPerHour"] = {
    byCountry: { [home]: maxPerHour },
    otherCountries: DEFAULTS.smsMaxPerOtherCountryPerHour,
  };
  for (const entry of listed(env.SMS_MAX_PER_COUNTRY_PER_HOUR)) {
    const named = /^([A-Za-z]{2}|\+\d{1,3})\s*:\s*(\d+)$/.exec(entry);
    if (named) maxPerCountryPerHour.byCountry[named[1]!.toUpperCase()] = positiveInt(named[2], maxPerHour);
    else maxPerCountryPerHour.otherCountries = positiveInt(entry, maxPerCountryPerHour.otherCountries);
  }
  return {
    allowedCountries: allowedCountries === "*" || allowedCountries.length ? allowedCountries : [home],
    refusedNumberClasses: classes.includes("none") ? [] : refusedNumberClasses.length ? refusedNumberClasses : NUMBER_CLASSES,
    allowUnassignedNumbers: env.SMS_ALLOW_UNASSIGNED_NUMBERS === "true",
    maxPerRangePerHour: positiveInt(env.SMS_MAX_PER_RANGE_PER_HOUR, DEFAULTS.smsMaxPerRangePerHour),
    ...clientCaps(
      [env.SMS_MAX_PER_IP_PER_HOUR, env.SMS_MAX_PER_UNPARSEABLE_IP_PER_HOUR, env.SMS_MAX_PER_CALLER_PER_HOUR],
      DEFAULTS.smsMaxPerIpPerHour,
      maxPerHour,
    ),
    maxPerHour,
    maxPerCountryPerHour,
  };
}

/**
 * The caps per client (see clientAllowance), from the per-IP, unparseable and caller vars: the
 * unparseable one defaults to the per-IP one, the caller's to half of the hour's budget.
 */
function clientCaps([ip, unparseable, caller]: Array<string | undefined>, defaultPerIp: number, maxPerHour: number): ClientCaps {
  const maxPerIpPerHour = positiveInt(ip, defaultPerIp);
  return {
    maxPerIpPerHour,
    maxPerUnparseableIpPerHour: positiveInt(unparseable, maxPerIpPerHour),
    // Half the hour's budget: the sends nobody's address is given for cannot refuse all the others.
    maxPerCallerPerHour: positiveInt(caller, Math.ceil(maxPerHour / 2)),
  };
}

/**
 * The email limits. `EMAIL_MAX_PER_DOMAIN_PER_HOUR` defaults to a quarter of `EMAIL_MAX_PER_HOUR`:
 * the largest mailbox providers (gmail.com, outlook.com) hold a large share of any consumer
 * service's users, and with the budget at a few times the busiest hour, a quarter of it is more than
 * such a domain's busiest hour; one company's domain holds a few of them, so a walk through its
 * addresses stops there and cannot spend the other three quarters of the budget. A service whose
 * users are mostly one domain (one company's staff) raises it.
 */
function emailGuard(env: ConfigVars): Config["email"]["guard"] {
  const maxPerHour = positiveInt(env.EMAIL_MAX_PER_HOUR, DEFAULTS.emailMaxPerHour);
  return {
    minIntervalSeconds: positiveInt(env.EMAIL_MIN_INTERVAL_SECONDS, DEFAULTS.emailMinIntervalSeconds),
    maxPerAddressPerHour: positiveInt(env.EMAIL_MAX_PER_ADDRESS_PER_HOUR, DEFAULTS.emailMaxPerAddressPerHour),
    maxPerDomainPerHour: positiveInt(env.EMAIL_MAX_PER_DOMAIN_PER_HOUR, Math.ceil(maxPerHour / 4)),
    ...clientCaps(
      [env.EMAIL_MAX_PER_IP_PER_HOUR, env.EMAIL_MAX_PER_UNPARSEABLE_IP_PER_HOUR, env.EMAIL_MAX_PER_CALLER_PER_HOUR],
      DEFAULTS.emailMaxPerIpPerHour,
      maxPerHour,
    ),
    maxPerHour,
  };
}
