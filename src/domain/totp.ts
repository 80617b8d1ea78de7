// TOTP time steps (RFC 6238 §4): 30-second steps since the epoch, six-digit codes. The HMAC that
// turns a step into a code is src/crypto/totp.ts.
export const TOTP_PERIOD_SECONDS = 30;
export const CODE_DIGITS = 6;
export const CODE_PATTERN = /^[0-9]{6}$/;

export function timeStep(nowMs: number): number {
  return Math.floor(nowMs / (1000 * TOTP_PERIOD_SECONDS));
}

/** When time step `step` begins (ms): from then on an authenticator shows its code. */
export const stepStart = (step: number): number => step * 1000 * TOTP_PERIOD_SECONDS;

/** The steps a code may belong to, nearest first (the current step wins a shared code); none before the epoch. */
export function stepsAround(nowMs: number, window = 1): number[] {
  const current = timeStep(nowMs);
  const steps = [current];
  for (let distance = 1; distance <= window; distance++) steps.push(current - distance, current + distance);
  return steps.filter((step) => step >= 0);
}
