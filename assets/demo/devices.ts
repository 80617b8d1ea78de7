// The signed-in user's trusted devices: GET /api/user/two-factor/trust/{userId}, revoked one by one
// with DELETE …?deviceId= (a name for the device, not its trust id).
import { call, problemOf } from "./api.js";
import { currentUser, state, type User } from "./state.js";
import { byId, failed, Message, onClick, text } from "./ui.js";

/** A trusted device as GET /api/user/two-factor/trust/{userId} lists it (instants in ms). */
type Device = { id: string; applicationId?: string; issuedInstant: number; lastUsedInstant: number; expirationInstant: number };

const message = Message.of("devices-msg");

/** Counts the lists asked for: only the latest one is shown. */
let devicesAsked = 0;

export async function showDevices(): Promise<void> {
  const user = currentUser();
  const asked = ++devicesAsked;
  const section = byId("devices");
  section.hidden = !user.twoFactorEnabled;
  message.clear();
  // The list shown is the previous sign-in's, or has a revoked device: its Revoke buttons go at once.
  byId("device-list").replaceChildren();
  byId("devices-empty").hidden = true;
  if (!user.twoFactorEnabled) return section.removeAttribute("aria-busy");
  section.setAttribute("aria-busy", "true");
  const answer = await call("GET", `/api/user/two-factor/trust/${encodeURIComponent(user.id)}`, { apiKey: state.apiKey });
  const devices = answer.status === 200 ? (answer.data as { devices: Device[] }).devices : [];
  const mine = await thisDevice(user, devices);
  // A later sign-in or revoke asked again meanwhile: this answer may list a device gone since.
  if (asked !== devicesAsked) return;
  state.thisDevice = mine;
  byId("device-list").replaceChildren(...devices.map(deviceItem));
  byId("devices-empty").hidden = devices.length > 0;
  section.removeAttribute("aria-busy");
  if (answer.status !== 200) message.show("error", problemOf(answer).text);
}

/**
 * Which listed device is this browser: the one issued when this tab's trust id was
 * (GET /api/two-factor/status/{twoFactorTrustId} gives that instant; the list never shows trust ids).
 */
async function thisDevice(user: User, devices: Device[]): Promise<string | null> {
  if (!state.trustId || devices.length === 0) return null;
  const status = await call("GET", `/api/two-factor/status/${encodeURIComponent(state.trustId)}?userId=${encodeURIComponent(user.id)}`, {
    apiKey: state.apiKey,
  });
  const issued = status.status === 200 ? (status.data as { trusts?: Array<{ startInstant?: number }> }).trusts?.[0]?.startInstant : undefined;
  return devices.find((device) => device.issuedInstant === issued)?.id ?? null;
}

// User-agent tokens, first match wins: Edge's and Opera's also say Chrome, Chrome's says Safari,
// Android's says Linux.
const BROWSERS: Array<[RegExp, string]> = [
  [/Edg\//, "Edge"],
  [/OPR\//, "Opera"],
  [/Firefox\//, "Firefox"],
  [/Chrom(?:e|ium)\//, "Chrome"],
  [/Safari\//, "Safari"],
];
const SYSTEMS: Array<[RegExp, string]> = [
  [/Android/, "Android"],
  [/iPhone|iPad|iPod/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];
const firstMatch = (table: Array<[RegExp, string]>, agent: string) => table.find(([pattern]) => pattern.test(agent))?.[1];

/**
 * "Chrome on Linux": the browser and system this page runs in, from its user agent. The API keeps
 * no name for a trusted device, so only this browser's own device gets one.
 */
function browserName(agent = navigator.userAgent): string {
  const browser = firstMatch(BROWSERS, agent) ?? "A browser";
  const system = firstMatch(SYSTEMS, agent);
  return system ? `${browser} on ${system}` : browser;
}

const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

function deviceItem(device: Device): HTMLLIElement {
  const item = document.createElement("li");
  const about = document.createElement("div");
  const name = document.createElement("p");
  name.className = "device-name";
  const mine = device.id === state.thisDevice;
  name.textContent = mine ? `${browserName()} · this browser` : "Another browser or computer";
  const details = document.createElement("p");
  details.className = "hint";
  details.textContent = `Trusted ${when(device.issuedInstant)} · last used ${when(device.lastUsedInstant)} · until ${when(device.expirationInstant)}`;
  about.append(name, details);
  const revoke = document.createElement("button");
  revoke.type = "button";
  revoke.className = "secondary small";
  revoke.textContent = "Revoke";
  revoke.setAttribute("aria-label", `Revoke ${mine ? "this browser" : `the device trusted ${when(device.issuedInstant)}`}`);
  onClick(
    revoke,
    async () => {
      const user = currentUser();
      const answer = await call("DELETE", `/api/user/two-factor/trust/${encodeURIComponent(user.id)}?deviceId=${encodeURIComponent(device.id)}`, {
        apiKey: state.apiKey,
      });
      if (answer.status !== 200) return message.show("error", problemOf(answer).text);
      if (mine) {
        state.trustId = null;
        text("done-summary", `${state.signedInAs} This computer is no longer trusted: the next sign-in asks for a code.`);
      }
      await showDevices();
      // The button is gone: the focus goes back to the list's heading.
      byId("devices-title").focus();
      message.show("ok", "Revoked: a sign-in from that device asks for a code again.");
    },
    failed(message),
  );
  item.append(about, revoke);
  return item;
}
