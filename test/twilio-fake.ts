// Routes the Worker's outbound fetch to Twilio into the shared fake (same isolate as the tests).
import { vi } from "vitest";
import { createFakeTwilio, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } from "./fake-twilio/handler";
import { call } from "./helpers";

export const FAKE_TWILIO_URL = "http://twilio.fake";
export const FROM_NUMBER = "+15005550006";

export function installFakeTwilio() {
  const fake = createFakeTwilio();
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input, init);
    return request.url.startsWith(FAKE_TWILIO_URL) ? fake.handle(request) : realFetch(request);
  });
  return fake;
}

export function configureTwilio(overrides: Record<string, unknown> = {}) {
  return call("PUT", "/api/integration", {
    body: {
      integrations: {
        twilio: { enabled: true, accountSID: DEFAULT_ACCOUNT_SID, authToken: DEFAULT_AUTH_TOKEN, fromPhoneNumber: FROM_NUMBER, url: FAKE_TWILIO_URL, ...overrides },
      },
    },
  });
}

/** The code in the newest message the fake received for `to`. */
export function lastCodeTo(fake: ReturnType<typeof createFakeTwilio>, to: string): string {
  const message = fake.messages.filter((m) => m.to === to).at(-1);
  const code = message?.body.match(/(\d{6})$/)?.[1];
  if (!code) throw new Error(`no code was texted to ${to}`);
  return code;
}
