// A fake Twilio Messages API speaking Twilio's wire format, as a web-standard
// Request -> Response handler. Plain JS so that both the workerd tests (via
// handler.ts) and the Node server (server.mjs) run the same logic unbuilt.

export const DEFAULT_ACCOUNT_SID = "AC" + "fa6e".repeat(8);
export const DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token";

const E164 = /^\+[1-9]\d{1,14}$/;
const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;

// Twilio's magic test numbers (https://www.twilio.com/docs/iam/test-credentials).
const TO_ERRORS = {
  "+15005550001": [21211, (to) => `The 'To' number ${to} is not a valid phone number.`],
  "+15005550002": [21612, (to) => `The 'To' phone number: ${to}, is not currently reachable via SMS.`],
  "+15005550003": [21408, (to) => `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`],
  "+15005550004": [21610, () => "Attempt to send to unsubscribed recipient"],
  "+15005550009": [21614, (to) => `'To' number ${to} is not a valid mobile number`],
};
const INVALID_FROM = "+15005550001";

// Fault numbers of our own, to exercise the client's retry and timeout paths.
const RATE_LIMITED = "+15005550429";
const SERVER_ERROR = "+15005550500";
const HANG = "+15005550504";
const RATE_LIMITED_ONCE = "+15005550430";

export function createFakeTwilio({ accountSID = DEFAULT_ACCOUNT_SID, authToken = DEFAULT_AUTH_TOKEN } = {}) {
  const messages = [];
  const rateLimitedOnce = new Set();
  let requests = 0;

  async function handle(request) {
    requests++;
    const path = new URL(request.url).pathname;
    const match = MESSAGES_PATH.exec(path);
    if (request.method !== "POST" || !match) {
      return twilioError(404, 20404, `The requested resource ${path} was not found`);
    }
    if (!authenticates(request.headers.get("Authorization"), accountSID, authToken)) {
      return twilioError(401, 20003, "Authenticate");
    }
    if (decodeURIComponent(match[1]) !== accountSID) {
      return twilioError(404, 20404, `The requested resource ${path} was not found`);
    }

    // Like Twilio, a body that is not a form simply has no parameters.
    const isForm = (request.headers.get("Content-Type") ?? "").startsWith("application/x-www-form-urlencoded");
    const form = isForm ? await request.formData() : new FormData();
    const to = form.get("To");
    const from = form.get("From");
    const messagingServiceSid = form.get("MessagingServiceSid");
    const body = form.get("Body");

    if (to === RATE_LIMITED || (to === RATE_LIMITED_ONCE && !rateLimitedOnce.has(to))) {
      rateLimitedOnce.add(to);
      return twilioError(429, 20429, "Too Many Requests");
    }
    if (to === SERVER_ERROR) {
      return new Response("<html><body><h1>500 Internal Server Error</h1></body></html>", {
        status: 500,
        headers: { "Content-Type": "text/html" },
      });
    }
    if (to === HANG) return hangUntilAborted(request.signal);

    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!E164.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !messagingServiceSid) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (from === INVALID_FROM) {
      return twilioError(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
    }
    if (!body) return twilioError(400, 21602, "Message body is required.");
    if (Object.hasOwn(TO_ERRORS, to)) {
      const [code, describe] = TO_ERRORS[to];
      return twilioError(400, code, describe(to));
    }

    const sid = "SM" + randomHex(16);
    const validity = form.get("ValidityPeriod");
    messages.push({
      sid,
      to,
      ...(from ? { from } : {}),
      ...(messagingServiceSid ? { messagingServiceSid } : {}),
      body,
      ...(validity !== null ? { validityPeriod: Number(validity) } : {}),
      receivedAt: Date.now(),
    });

    const now = new Date().toUTCString().replace("GMT", "+0000");
    const uri = `/2010-04-01/Accounts/${accountSID}/Messages/${sid}.json`;
    return json(201, {
      account_sid: accountSID,
      api_version: "2010-04-01",
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: from || null,
      messaging_service_sid: messagingServiceSid || null,
      num_media: "0",
      num_segments: "1",
      price: null,
      price_unit: "USD",
      sid,
      status: "queued",
      subresource_uris: { media: uri.replace(/\.json$/, "/Media.json") },
      to,
      uri,
    });
  }

  return {
    handle,
    messages,
    get requests() {
      return requests;
    },
    reset() {
      messages.length = 0;
      rateLimitedOnce.clear();
      requests = 0;
    },
  };
}

function authenticates(header, accountSID, authToken) {
  if (!header?.startsWith("Basic ")) return false;
  let decoded;
  try {
    const binary = atob(header.slice("Basic ".length));
    decoded = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return false;
  }
  return decoded === `${accountSID}:${authToken}`;
}

// Never answers; settles only so the caller's abort can clean up.
function hangUntilAborted(signal) {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

function twilioError(status, code, message) {
  return json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

function json(status, value) {
  return new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
}

function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}
