// Worker secrets (`wrangler secret put`, or `.dev.vars` locally) and optional vars that
// `wrangler types` cannot see because they have no value in wrangler.toml.
declare namespace Cloudflare {
  interface Env {
    API_KEYS?: string;
    EXPORT_KEYS?: string;
    JWT_SIGNING_KEY?: string;
    ENCRYPTION_KEY?: string;
    JWT_ISSUER?: string;
    JWT_TTL_SECONDS?: string;
    PASSWORD_FACTOR?: string;
    TWO_FACTOR_ID_TTL_SECONDS?: string;
    TWO_FACTOR_TRUST_ID_TTL_SECONDS?: string;
    TWO_FACTOR_LOCKOUT_FAILURES?: string;
    TWO_FACTOR_LOCKOUT_SECONDS?: string;
    FAILED_AUTH_TOO_MANY_ATTEMPTS?: string;
    FAILED_AUTH_RESET_COUNT_SECONDS?: string;
    FAILED_AUTH_ACTION_DURATION_SECONDS?: string;
    SMART_LOCKOUT_NETWORK_MEMORY_SECONDS?: string;
    LOGIN_REPLICA_DELAY_SECONDS?: string;
    LOGIN_RECORDS_MAX_PER_USER?: string;
    LOGIN_RECORDS_RETENTION_DAYS?: string;
    SMS_CODE_TTL_SECONDS?: string;
    SMS_BODY_TEMPLATE?: string;
    SMS_MIN_INTERVAL_SECONDS?: string;
    SMS_MAX_PER_CHALLENGE?: string;
    SMS_MAX_PER_PHONE_PER_HOUR?: string;
    SMS_ALLOWED_COUNTRIES?: string;
    SMS_REFUSED_NUMBER_TYPES?: string;
    SMS_ALLOW_UNASSIGNED_NUMBERS?: string;
    SMS_MAX_PER_RANGE_PER_HOUR?: string;
    SMS_MAX_PER_IP_PER_HOUR?: string;
    SMS_MAX_PER_HOUR?: string;
    SMS_MAX_PER_COUNTRY_PER_HOUR?: string;
    SMS_MAX_PER_UNPARSEABLE_IP_PER_HOUR?: string;
    SMS_MAX_PER_CALLER_PER_HOUR?: string;
    TWILIO_ACCOUNT_SID?: string;
    TWILIO_AUTH_TOKEN?: string;
    TWILIO_FROM_NUMBER?: string;
    TWILIO_MESSAGING_SERVICE_SID?: string;
    TWILIO_URL?: string;
    WEBHOOK_RETRY_BASE_SECONDS?: string;
    WEBHOOK_ALLOW_LOOPBACK?: string;
    EMAIL_FROM?: string;
    EMAIL_FROM_NAME?: string;
    EMAIL_LOCAL_OUTBOX?: string;
    EMAIL_SUBJECT_TEMPLATE?: string;
    EMAIL_TEXT_TEMPLATE?: string;
    EMAIL_HTML_TEMPLATE?: string;
    EMAIL_APPLICATION_NAME?: string;
    EMAIL_CODE_ORIGIN?: string;
  }
}
