// Second-factor codes: the TOTP steps a code may match (RFC 6238 §5.2: ±1 step, plus steps texted
// recently), accepting a step or a recovery code once, and which step to text.
import type { Config } from "./config";
import type { LoginPrevention } from "./failures";
import { draft, type Account, type SentCode } from "./account";
import { countersFor, countWrongCode, prevention } from "./lockout";
import { stepStart, timeStep } from "./totp";

const MAX_SMS_CODES = 10;

const liveCodes = (codes: SentCode[], nowMs: number) => codes.filter((sent) => sent.expiresAt > nowMs);

/** The ±1 window of RFC 6238 §5.2 around now, plus codes recently sent by SMS. */
export function acceptableSteps(nowMs: number, smsCodes: SentCode[]): number[] {
  const now = timeStep(nowMs);
  const window = [now, now - 1, now + 1];
  return [
    ...window,
    ...liveCodes(smsCodes, nowMs)
      .map((sent) => sent.step)
      .filter((step) => !window.includes(step)),
  ];
}

/**
 * A code as submitted: the TOTP step it matched (or null) and the authenticator method whose secret
 * it matched, its recovery-code hashes when it has that shape, and its one-time-code hash when a
 * sent or started code may be expected.
 */
export type SubmittedCode = { code: string; step: number | null; methodId?: string; recoveryHashes?: string[]; otpHash?: string };

/** A one-time code a check also accepts (a code sent to a method, or given to Start), as its hash. */
export type ExpectedCode = { hash: string; methodId?: string };

export type CodeVerdict =
  /** `recoveryCode`: a recovery code was used up. `methodId`: the method the code came from, when known. */
  | { outcome: "accepted"; recoveryCode?: true; methodId?: string }
  /**
   * `counted`: whether it counted toward the lockout (and the challenge's attempts). `nextCodeAt`
   * (ms), when the code was right but its step already used: when the authenticator shows a newer one.
   * `locked`: this wrong code locked login.
   */
  | { outcome: "invalid-code"; counted: boolean; nextCodeAt?: number; locked?: LoginPrevention }
  | { outcome: "prevented"; prevention: LoginPrevention };

/**
 * Accepts `step` (the step `code` matched, or null) if it is newer than the last accepted one, on a
 * draft. `guarded` checks (login, disable) honour the lockout and count wrong codes toward it;
 * enrolment does neither, since a user fumbling a new authenticator must not lock their own login.
 */
export function acceptCode(
  next: Account,
  submitted: SubmittedCode,
  nowMs: number,
  config: Config,
  guarded: boolean,
  familiar = false,
  expected?: ExpectedCode,
): CodeVerdict {
  const { code, step, recoveryHashes } = submitted;
  const guard = next.guard;
  const counters = countersFor(guard, familiar);
  const prevented = guarded ? prevention(counters, nowMs) : null;
  if (prevented) return { outcome: "prevented", prevention: prevented };
  // A recovery code is single use: it leaves the set as it is accepted (one decision, one write).
  const recoveryIndex = guarded && recoveryHashes ? guard.recoveryCodes.findIndex((stored) => recoveryHashes.includes(stored)) : -1;
  if (recoveryIndex >= 0) {
    guard.recoveryCodes = guard.recoveryCodes.filter((_, index) => index !== recoveryIndex);
    counters.consecutiveCodeFailures = 0;
    return { outcome: "accepted", recoveryCode: true };
  }
  if (step !== null && step > guard.lastAcceptedStep) {
    guard.lastAcceptedStep = step;
    counters.consecutiveCodeFailures = 0;
    guard.smsCodes = liveCodes(guard.smsCodes, nowMs).filter((sent) => sent.step > step);
    return { outcome: "accepted", methodId: submitted.methodId };
  }
  if (expected && submitted.otpHash === expected.hash) {
    counters.consecutiveCodeFailures = 0;
    return { outcome: "accepted", methodId: expected.methodId };
  }
  // A replayed code is refused but proves possession of the secret, so only codes that match no
  // acceptable step count, across logins (RFC 4226 §7.3).
  if (step !== null) return { outcome: "invalid-code", counted: false, nextCodeAt: stepStart(guard.lastAcceptedStep + 1) };
  if (!guarded) return { outcome: "invalid-code", counted: false };
  return { outcome: "invalid-code", ...countWrongCode(counters, code, nowMs, config) };
}

/**
 * The step to text the user: never one the replay guard has consumed (right after a login or enable
 * it is the next step, which the ±1 window accepts), and acceptable for the SMS code lifetime even
 * after it has passed, since SMS can be slow. `next` records that window.
 */
export function textStep(account: Account, nowMs: number, config: Config): { next: Account; step: number } {
  const next = draft(account);
  const step = Math.max(timeStep(nowMs), account.guard.lastAcceptedStep + 1);
  const expiresAt = nowMs + config.sms.codeTtlSeconds * 1000;
  next.guard.smsCodes = [...liveCodes(account.guard.smsCodes, nowMs).filter((sent) => sent.step !== step), { step, expiresAt }].slice(-MAX_SMS_CODES);
  return { next, step };
}
