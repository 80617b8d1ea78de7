import { MAX_PBKDF2_FACTOR } from "./password";

// Every tunable named once, with FusionAuth's defaults. Read from Worker vars so operators can
// change them without a code change; invalid values fall back to the default.

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
  /** Login records kept per user: at most `maxPerUser`, none older than `retentionDays`. */
  loginRecords: { maxPerUser: number; retentionDays: number };
  defaultPhoneRegion: string;
  sms: {
    codeTtlSeconds: number;
    bodyTemplate: string;
    minIntervalSeconds: number;
    maxPerChallenge: number;
    maxPerPhonePerHour: number;
  };
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
  loginRecordsMaxPerUser: 100,
  loginRecordsRetentionDays: 90,
  defaultPhoneRegion: "US",
  smsCodeTtlSeconds: 300,
  smsBodyTemplate: "Two Factor Code: {code}",
  smsMinIntervalSeconds: 30,
  smsMaxPerChallenge: 5,
  smsMaxPerPhonePerHour: 10,
} as const;

function positiveInt(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : fallback;
}

export function readConfig(env: Env): Config {
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
    loginRecords: {
      maxPerUser: positiveInt(env.LOGIN_RECORDS_MAX_PER_USER, DEFAULTS.loginRecordsMaxPerUser),
      retentionDays: positiveInt(env.LOGIN_RECORDS_RETENTION_DAYS, DEFAULTS.loginRecordsRetentionDays),
    },
    defaultPhoneRegion: env.DEFAULT_PHONE_REGION || DEFAULTS.defaultPhoneRegion,
    sms: {
      codeTtlSeconds: positiveInt(env.SMS_CODE_TTL_SECONDS, DEFAULTS.smsCodeTtlSeconds),
      bodyTemplate: env.SMS_BODY_TEMPLATE?.includes("{code}") ? env.SMS_BODY_TEMPLATE : DEFAULTS.smsBodyTemplate,
      minIntervalSeconds: positiveInt(env.SMS_MIN_INTERVAL_SECONDS, DEFAULTS.smsMinIntervalSeconds),
      maxPerChallenge: positiveInt(env.SMS_MAX_PER_CHALLENGE, DEFAULTS.smsMaxPerChallenge),
      maxPerPhonePerHour: positiveInt(env.SMS_MAX_PER_PHONE_PER_HOUR, DEFAULTS.smsMaxPerPhonePerHour),
    },
  };
}
