// FusionAuth's error contract (REF §2.2): a status code, and for 400s an `Errors` JSON body whose
// codes follow `[type]field.path` for field errors and `[Name]` for general errors.

export type ErrorMessage = { code: string; message: string };
export type Errors = {
  fieldErrors?: Record<string, ErrorMessage[]>;
  generalErrors?: ErrorMessage[];
};

/** A failure the client caused; `onError` turns it into the response. No body means an empty response. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(`API error ${status}`);
  }
}

export const emptyError = (status: number) => new ApiError(status);

export function fieldErrors(errors: Record<string, ErrorMessage[]>, status = 400): ApiError {
  return new ApiError(status, { fieldErrors: errors } satisfies Errors);
}

/** One field error whose code is `[type]field`, e.g. `[blank]user.email`. */
export function fieldError(field: string, type: string, message: string): ApiError {
  return fieldErrors({ [field]: [{ code: `[${type}]${field}`, message }] });
}

export function generalError(name: string, message: string, status = 400, headers?: Record<string, string>): ApiError {
  return new ApiError(status, { generalErrors: [{ code: `[${name}]`, message }] } satisfies Errors, headers);
}

/** FusionAuth answers 409 with the user actions that prevent login (REF §7.2). */
export type LoginPrevention = { until: number; reason: "password" | "two-factor" };

export function loginPrevented({ until, reason }: LoginPrevention): ApiError {
  const byReason = {
    password: { reason: "Too many failed login attempts", reasonCode: "failed_authentication" },
    "two-factor": { reason: "Too many failed two-factor codes", reasonCode: "failed_two_factor" },
  }[reason];
  return new ApiError(409, {
    actions: [
      {
        actionId: PREVENT_LOGIN_ACTION_ID,
        expiry: until,
        localizedName: "Prevent Login Action",
        localizedReason: byReason.reason,
        name: "Prevent Login Action",
        reason: byReason.reason,
        reasonCode: byReason.reasonCode,
      },
    ],
  }, { "Retry-After": String(Math.max(1, Math.ceil((until - Date.now()) / 1000))) });
}

const PREVENT_LOGIN_ACTION_ID = "00000000-0000-0000-0000-000000000042";
