// The events webhooks receive, in FusionAuth's envelope (https://fusionauth.io/docs/extend/events-and-webhooks/events/):
// `{"event": {type, id, createInstant, …}}`. An event names its user by `userId`, and carries the user
// itself (`user`, the public record) where FusionAuth's does. Nothing secret goes in: no password or
// its hash, no 2FA secret, code, recovery code, trust id, twoFactorId or token; the `info` of each
// type below is all there is. The user's `data` is left out too: it is the application's own (up to
// 64 KB) and a queue message holds at most 128 KB (https://developers.cloudflare.com/queues/platform/limits/).
import type { LoginPrevention } from "./failures";
import type { EmailRefusalReason } from "./email-guard";
import type { NumberClass, RefusalReason } from "./sms-guard";
import type { MethodKind, TwoFactorMethod } from "./methods";
import type { PublicUser, TwoFactorDelivery } from "./user";

/** Every event type this service emits, in FusionAuth's names where FusionAuth has one. */
export const EVENT_TYPES = [
  "user.create",
  "user.update",
  "user.delete",
  "user.export",
  "user.login.success",
  "user.login.failed",
  "user.two-factor.method.add",
  "user.two-factor.method.remove",
  "user.two-factor.recovery-code.used",
  "user.action",
  "user.trust.issued",
  "user.trust.revoked",
  "sms.refused",
  "email.refused",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** A user as an event carries it: the public record without the application's `data`. */
export type EventUser = Omit<PublicUser, "data">;

/** The kind of method a legacy enrolment with `delivery` is, as events name it (FusionAuth's names: a TextMessage enrolment is `sms`). */
export const twoFactorMethod = (delivery: TwoFactorDelivery): MethodKind => (delivery === "TextMessage" ? "sms" : "authenticator");

/** The kind of a stored method, as events name it. */
export const methodKind = (method: TwoFactorMethod): MethodKind => (method.method === "authenticator" && method.texted ? "sms" : method.method);

export type LoginFailureReason = "password" | "two-factor-code" | "recovery-code" | "locked";

export type TrustRevocationReason = "api" | "two-factor-disabled" | "password-changed" | "deactivated";

/** What each type says beyond the envelope. */
export type EventInfo = {
  "user.create": Record<string, never>;
  /** `original`: the user before the change (FusionAuth's user.update has it too). */
  "user.update": { original: EventUser };
  "user.delete": Record<string, never>;
  /** The user was written out by the export (`GET /api/system/export`), secrets and all. */
  "user.export": Record<string, never>;
  /** How the second factor was satisfied: a code, a trusted device, a recovery code, or 2FA is off. */
  "user.login.success": { authenticationType: "PASSWORD"; twoFactor: "code" | "trusted" | "recovery-code" | "not-enabled" };
  /**
   * Why a login step was refused: a wrong password, a wrong code (`recovery-code` when what was sent
   * has a recovery code's shape), or `locked`: refused because login is locked (see user.action),
   * whatever was sent.
   */
  "user.login.failed": { reason: LoginFailureReason };
  /** `source`: the two-factor enable API, or the User API's `twoFactorEnabled: true`. */
  "user.two-factor.method.add": { method: MethodKind; source: "enable" | "user-api" };
  /** `source`: the two-factor disable API (with a code), or the User API's `twoFactorEnabled: false` (an admin reset). */
  "user.two-factor.method.remove": { method: MethodKind; source: "disable" | "admin-reset" };
  /**
   * A recovery code completed a login or a disable; `remaining` unused codes are left (always 0 after
   * a disable, which deletes the rest).
   */
  "user.two-factor.recovery-code.used": { remaining: number };
  /** A lock began (FusionAuth's Prevent Login action): after too many wrong passwords or codes, until `expiry` (ms). */
  "user.action": { action: "prevent-login"; reason: LoginPrevention["reason"]; expiry: number };
  /** A 2FA login issued a trust id ("trust this computer"), valid until `expiry` (ms). The id itself is not sent. */
  "user.trust.issued": { expiry: number };
  /**
   * Trusted devices (still valid ones) were revoked, `count` of them (sent only when at least one
   * was): by the trust API (`api`), or because 2FA was switched off (disable or admin reset), the
   * password changed or the user was deactivated through the User API.
   */
  "user.trust.revoked": { reason: TrustRevocationReason; count: number };
  /**
   * A text was refused before it reached Twilio (src/services/shared/sms-guard.ts). `reason` names the
   * guard, `country` the destination's region (`+<calling code>` without one, e.g. `+881`; `unknown` for what is no phone number), `range` the number's range with its
   * last digits masked (never the number), `numberClass` a refused number type, `purpose` the kind of
   * send: `enrolment`, `user` or `login`. No user: the guard does not know who asked.
   */
  "sms.refused": { reason: RefusalReason; country: string; range?: string; numberClass?: NumberClass; purpose: string };
  /**
   * A code email was refused before it was sent (src/services/shared/email-guard.ts). `reason` names
   * the limit, `domain` the address's domain, `address` the address masked (at most the first
   * character of its local part, never the address), `purpose` the kind of send: `enable`, `user` or
   * `login`. No user, as for texts.
   */
  "email.refused": { reason: EmailRefusalReason; domain: string; address: string; purpose: string };
};

/** Who and where, as far as the event's source knows. */
type Subject = {
  userId?: string;
  user?: PublicUser;
  applicationId?: string;
  /** The end user's address, as the Login API takes it (the body's `ipAddress` with an API key, else the connecting client). */
  ipAddress?: string;
};

/** What a caller of `emit` describes: one type with its info. */
export type EventInput = { [T in EventType]: Subject & { type: T; info: EventInfo[T] } }[EventType];

/** The event as delivered, inside `{"event": …}`. */
export type WebhookEvent = {
  type: EventType;
  /** A random (CSPRNG) UUID: the same on every delivery attempt, for de-duplication. */
  id: string;
  /** When it happened (ms since the epoch). */
  createInstant: number;
  userId?: string;
  user?: EventUser;
  applicationId?: string;
  ipAddress?: string;
  info: EventInfo[EventType];
};

/** One delivery: an event for one webhook (a retry re-sends to that webhook only). */
export type EventMessage = { webhookId: string; event: WebhookEvent };

/** The user without what an event must not carry. */
export function eventUser(user: PublicUser): EventUser {
  const { data: _data, ...visible } = user;
  return visible;
}

/** The event `input` describes, with its id (a random UUID) and time. */
export function newEvent(input: EventInput, id: string, nowMs: number): WebhookEvent {
  const { type, user, userId, applicationId, ipAddress, info } = input;
  const subject = user?.id ?? userId;
  return {
    type,
    id,
    createInstant: nowMs,
    ...(subject && { userId: subject }),
    ...(user && { user: eventUser(user) }),
    ...(applicationId && { applicationId }),
    ...(ipAddress && { ipAddress }),
    info,
  };
}
