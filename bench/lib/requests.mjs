// What the benchmark scripts send: the users' password and phones, the login request, and the
// settings that point the Worker's Twilio integration at the fake Twilio.
import { hotp, stepAt } from "./totp.mjs";

export const PASSWORD = "bench-password-1";
export const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
/** The end user's address the logins report (`ipAddress`). */
export const END_USER_IP = "192.0.2.10";

/**
 * A user's phone, unique up to 8,000,000 users: +1 212 200 0000, +1 212 201 0000, …, +1 212 999 0000,
 * +1 212 200 0001, … (valid US numbers). Consecutive users are in different ranges (the SMS guard's
 * range is all but the last 3 digits), as a service's users are, not 900 in one range.
 */
export const phoneOf = (index) => `+1212${200 + (index % 800)}${String(Math.floor(index / 800)).padStart(4, "0")}`;

/** `PUT /api/integration`'s body for the fake Twilio at `url` (test/fake-twilio/server.mjs). */
export const fakeTwilioIntegration = (url) => ({
  integrations: {
    twilio: { enabled: true, accountSID: "AC" + "fa6e".repeat(8), authToken: "fake-twilio-auth-token", fromPhoneNumber: "+15005550006", url },
  },
});

/**
 * An autocannon request logging in `users` in turn with PASSWORD (`headers` carry the API key);
 * each 242's `{ user, twoFactorId, methods }` goes to `onChallenge`.
 */
export function loginRequest(headers, users, onChallenge) {
  let i = 0;
  return {
    method: "POST",
    path: "/api/login",
    headers,
    setupRequest(req, context) {
      const user = users[i++ % users.length];
      context.user = user;
      return { ...req, body: JSON.stringify({ loginId: user.email, password: PASSWORD, applicationId: APPLICATION_ID, ipAddress: END_USER_IP }) };
    },
    onResponse(status, body, context) {
      if (status !== 242) return;
      const { twoFactorId, methods } = JSON.parse(body);
      onChallenge({ user: context.user, twoFactorId, methods });
    },
  };
}

/**
 * An autocannon request completing `challenges` (`{ user, twoFactorId }`) in order, each with the
 * code of the oldest step its user has not used yet, never older than now: `now - 1` would fail if
 * the server's clock turned a step between here and there. `user.last` is the last step used.
 */
export function codeRequest(challenges) {
  let i = 0;
  return {
    method: "POST",
    path: "/api/two-factor/login",
    headers: { "Content-Type": "application/json" },
    setupRequest(req) {
      const { user, twoFactorId } = challenges[i++];
      const step = Math.max(stepAt(), user.last + 1);
      user.last = step;
      return { ...req, body: JSON.stringify({ twoFactorId, code: hotp(user.key, step), applicationId: APPLICATION_ID, ipAddress: END_USER_IP }) };
    },
  };
}
