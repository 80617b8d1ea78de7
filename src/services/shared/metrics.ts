// Figures without another service: one Workers Analytics Engine data point per login step, code
// send and refusal (https://developers.cloudflare.com/analytics/analytics-engine/). A point says what
// happened, never to whom: no user id, login id, address, phone number or code. README's "Figures"
// has the SQL that reads them.
import type { Scope } from "./scope";

export type Metric = {
  /** `login` (the password step), `code` (the two-factor step), `send` (a code texted or emailed), `refusal` (a send the limits refused). */
  event: "login" | "code" | "send" | "refusal";
  /** The step's outcome (`authenticated`, `challenge`, `invalid-code`, `sent`, a refusal's reason, …). */
  outcome: string;
  /** The method: `authenticator`, `sms`, `email`, `recovery-code`; empty when none applies. */
  method?: string;
  /** A send's destination country, else the client's country as Cloudflare saw it. */
  country?: string;
  applicationId?: string;
};

/**
 * Writes `metric` with how long the request had taken so far (ms: the Workers clock moves on I/O, so
 * this is the time spent waiting on objects, KV and providers). blob1–5: event, outcome, method,
 * country, application; double1: milliseconds; index1: event.
 */
export function record(scope: Scope, metric: Metric): void {
  const { event, outcome, method = "", country = scope.country ?? "", applicationId = "" } = metric;
  scope.env.METRICS?.writeDataPoint({ indexes: [event], blobs: [event, outcome, method, country, applicationId], doubles: [Date.now() - scope.now] });
}
