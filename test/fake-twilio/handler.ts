// The fake's logic lives in fake-twilio.mjs so server.mjs can share it
// without a build step; this is the typed entry point for workerd tests.
export { createFakeTwilio, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, type FakeTwilio, type FakeTwilioMessage } from "./fake-twilio.mjs";
