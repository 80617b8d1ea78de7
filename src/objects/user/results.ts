// What the user's object answers its callers (src/objects/user-guard.ts): the results of its RPC
// methods and the inputs they take, apart from the class so the class reads as the list of methods.
import type { ChallengeDetails, Replaced } from "../../domain/challenges";
import type { LoginPrevention, Outcome, Problem } from "../../domain/failures";
import type { Destination, PublicMethod, TwoFactorMethod } from "../../domain/methods";
import type { PublicUser } from "../../domain/user";
import type { Refused } from "./store";

/**
 * A code to send by text or email: where, what, and what to withdraw if the message fails: the TOTP
 * step it belongs to (a legacy text), or the hash of the one-time code.
 */
export type CodeToSend = { to: Destination; code: string; step?: number; otpHash?: string } & Replaced;

/** A one-time code made for a send or a Start (src/crypto/random.ts), and its hash (src/crypto/one-time-codes.ts). */
export type OneTimeCodeDraft = { code: string; hash: string };

/** `details` are kept with a pending login; `network` (see src/domain/network.ts) tells familiar sources. */
export type LoginAttempt = {
  loginId: string;
  password: string;
  trustId?: string;
  network?: string;
  details: Omit<ChallengeDetails, "familiar" | "network">;
  nowMs: number;
};

export type LoginResult =
  /** `locked`: this wrong password locked login. */
  | { outcome: "wrong-password"; locked?: LoginPrevention }
  | { outcome: "prevented"; prevention: LoginPrevention }
  | { outcome: "expired" }
  | { outcome: "inactive" }
  /** `tokenStamp`: for the access token (src/domain/account.ts, Guard.tokenStamp). */
  | { outcome: "authenticated"; user: PublicUser; tokenStamp: string }
  | { outcome: "challenge"; challengeKey: string; methods: PublicMethod[]; text?: CodeToSend }
  | Refused;

export type CompletionResult =
  | { outcome: "not-found" }
  | { outcome: "expired" }
  /** `locked`: this wrong code locked login. */
  | { outcome: "invalid-code"; nextCodeAt?: number; locked?: LoginPrevention }
  | { outcome: "prevented"; prevention: LoginPrevention }
  /** `recoveryCode`: the login used up a recovery code. `tokenStamp`: for the access token. */
  | {
      outcome: "accepted";
      user: PublicUser;
      tokenStamp: string;
      applicationId?: string;
      noJWT: boolean;
      trustId?: string;
      recoveryCode: boolean;
      /** Start's `state` (JSON). */
      state?: string;
    }
  | Refused;

/** A disable: with a recovery code or not, the methods it removed, the valid trusted devices it revoked. */
export type Disabled = { recoveryCode: boolean; removed: TwoFactorMethod[]; trustRevoked: number };

/** A pending login opened by Start: its key and the user's methods. */
export type Started = { challengeKey: string; methods: PublicMethod[] };

/** A method to add (FusionAuth 1.26+ enable): an authenticator's key, or where a phone or email method sends its codes. */
export type MethodToAdd =
  | { method: "authenticator"; key: Uint8Array; name?: string }
  | { method: "sms"; mobilePhone: string; name?: string }
  | { method: "email"; email: string; name?: string };

/** An added method: its id, and whether it was the first (the recovery codes were set). */
export type Added = { methodId: string; recoveryCodes: boolean };

/** Who asks: an API key (any user), or the user's access token carrying `tokenStamp`, refused once the account's stamp is another. */
export type Caller = { tokenStamp?: string };

/** A change a code allows (disable, recovery codes): a wrong code that locked login says so (`locked`), as a login's does. */
export type CodeChecked<T> = Outcome<T> | { ok: false; problem: Problem; locked: LoginPrevention };
