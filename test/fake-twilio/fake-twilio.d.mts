// Types for fake-twilio.mjs, which stays plain JS so Node can run it unbuilt.

export declare const DEFAULT_ACCOUNT_SID: string;
export declare const DEFAULT_AUTH_TOKEN: string;

export type FakeTwilioMessage = {
  sid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  validityPeriod?: number;
  receivedAt: number;
};

export type FakeTwilio = {
  handle(request: Request): Promise<Response>;
  /** Accepted messages, newest last. */
  readonly messages: FakeTwilioMessage[];
  /** Every request handled, accepted or not. */
  readonly requests: number;
  reset(): void;
};

export declare function createFakeTwilio(options?: { accountSID?: string; authToken?: string }): FakeTwilio;
