// Step 7: signed in. The token's claims as a table, and the signed-in view's parts: trusted
// devices, sign-in methods, turning two-factor off.
import { showDevices } from "./devices.js";
import { doneMessage, showDisable } from "./disable.js";
import { showMethods } from "./methods.js";
import { currentUser, state, type User } from "./state.js";
import { byId, showStep, text } from "./ui.js";

export type SignedIn = { user?: User & { twoFactorRecoveryCodesRemaining?: number }; token?: string; twoFactorTrustId?: string };

const CLAIM_NAMES: Record<string, string> = {
  aud: "Audience",
  exp: "Expires",
  iat: "Issued at",
  auth_time: "Signed in at",
  iss: "Issuer",
  sub: "Subject (user id)",
  jti: "Token id",
  email: "Email",
  email_verified: "Email verified",
  applicationId: "Application",
  authenticationType: "Signed in with",
  preferred_username: "Username",
  roles: "Roles",
  tid: "Tenant",
  tokenStamp: "Account's token stamp",
};
const TIME_CLAIMS = new Set(["exp", "iat", "auth_time", "nbf"]);

export async function signedIn(data: SignedIn, how: "code" | "recovery" | "trusted"): Promise<void> {
  // The login's own user: its methods show which one was used last (the User API's copy follows later).
  if (data.user) state.user = { ...currentUser(), ...data.user };
  const user = currentUser();
  if (data.twoFactorTrustId) state.trustId = data.twoFactorTrustId;
  const skipped = how === "trusted" && user.twoFactorEnabled;
  state.signedInAs = skipped
    ? `Signed in as ${user.email} without a code.`
    : how === "trusted"
      ? `Signed in as ${user.email} with the password alone.`
      : `Signed in as ${user.email} with ${how === "recovery" ? `a recovery code.${recoveryLeft(data)}` : "two-factor authentication."}`;
  const summary = skipped
    ? `Signed in as ${user.email} without a code: this computer is trusted.`
    : `${state.signedInAs}${data.twoFactorTrustId ? " This computer is now trusted, so the next sign-in skips the code." : ""}`;
  text("done-summary", summary);
  const claims = data.token ? decodeJwt(data.token) : {};
  byId("claims").replaceChildren(...Object.entries(claims).map(([name, value]) => claimRow(name, value)));
  byId("claims-table").hidden = !data.token;
  byId("no-token").hidden = Boolean(data.token);
  byId("token-panel").hidden = !data.token;
  text("token", data.token ?? "");
  showDisable();
  showMethods(user.twoFactor?.methods ?? []);
  doneMessage.clear();
  showStep("step-done");
  await showDevices();
}

/** " 9 recovery codes left." (after a recovery code), when the server said. */
function recoveryLeft(data: SignedIn): string {
  const left = data.user?.twoFactorRecoveryCodesRemaining;
  if (typeof left !== "number") return "";
  return ` ${left} recovery code${left === 1 ? "" : "s"} left.`;
}

/** One row of the claims table: the claim (and what it means), its value in words where it has some. */
function claimRow(name: string, value: unknown): HTMLTableRowElement {
  const row = document.createElement("tr");
  const head = document.createElement("th");
  head.scope = "row";
  const code = document.createElement("code");
  // camelCase names break between their words on a phone ("authentication|Type"), never mid-word.
  code.append(...breakable(name, /(?<=[a-z])(?=[A-Z])|(?<=_)/));
  head.append(code);
  if (CLAIM_NAMES[name]) {
    const meaning = document.createElement("span");
    meaning.className = "claim-name";
    meaning.textContent = CLAIM_NAMES[name];
    head.append(meaning);
  }
  const cell = document.createElement("td");
  if (TIME_CLAIMS.has(name) && typeof value === "number") {
    cell.append(new Date(value * 1000).toLocaleString(), " ");
    const raw = document.createElement("code");
    raw.textContent = String(value);
    cell.append(raw);
  } else if (typeof value === "string" && !/\s/.test(value) && value.length > 12) {
    // Ids, emails, URLs: one long word each, in a box of their own that breaks after "@", "." or
    // "/" first (a dash is a break already), and anywhere only when a piece is still too long.
    const token = document.createElement("code");
    token.append(...breakable(value, /(?<=[@/])|(?=\.)/));
    cell.append(token);
  } else {
    cell.textContent = Array.isArray(value) ? value.join(", ") : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  row.append(head, cell);
  return row;
}

/** `text` as text nodes with a <wbr> (a line break opportunity) wherever `at` matches. */
function breakable(text: string, at: RegExp): Array<string | Node> {
  return text.split(at).flatMap((part, index) => (index === 0 ? [part] : [document.createElement("wbr"), part]));
}

/** The JWT payload (Base64URL JSON). For display only: the server verifies tokens, this page does not. */
function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const base64 = payload
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(payload.length / 4) * 4, "=");
  const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}
