// The local outbox: under `npm start` (EMAIL_LOCAL_OUTBOX=true) the server keeps the emails it
// sends, and GET /api/email/outbox?to= lists them (404 when off). One panel shows the newest email
// to the address a code just went to, so the code can be read without leaving the page, as the
// fake Twilio's message list is for texts. Only the text part is shown, as text: the HTML part
// never enters the page.
import { call, problemOf } from "./api.js";
import { byId, failed, Message, onClick } from "./ui.js";

type Email = { to: string; subject: string; text: string; html?: string; sentAt: number | string };

const panel = () => byId("outbox");
const message = Message.of("outbox-msg");
/** The address the panel is for, and the key that reads the outbox; null while hidden. */
let shown: { to: string; apiKey: string } | null = null;
/** Counts the reads asked for: only the latest one is shown. */
let asked = 0;

/** Puts the panel just before `where`, for emails to `to`, and reads the newest one. */
export async function showOutbox(where: HTMLElement, to: string, apiKey: string): Promise<void> {
  where.before(panel());
  shown = { to, apiKey };
  byId("outbox-about").textContent = `The newest email to ${to} that this server kept instead of sending it.`;
  await refreshOutbox();
}

export function hideOutbox(): void {
  shown = null;
  asked += 1;
  panel().hidden = true;
}

/** Reads the outbox again for the panel's address; a server without one hides the panel. */
export async function refreshOutbox(): Promise<void> {
  if (!shown) return;
  const { to, apiKey } = shown;
  const mine = ++asked;
  const answer = await call("GET", `/api/email/outbox?to=${encodeURIComponent(to)}`, { apiKey });
  if (mine !== asked) return;
  if (answer.status === 404) return hideOutbox();
  panel().hidden = false;
  const newest = answer.status === 200 ? (answer.data as { messages?: Email[] } | null)?.messages?.at(-1) : undefined;
  byId("outbox-email").hidden = !newest;
  if (answer.status !== 200) return message.show("error", `Could not read the outbox: ${problemOf(answer).text}`);
  if (!newest) return message.show("info", `No email to ${to} yet. Refresh in a moment.`, { announce: false });
  message.clear();
  byId("outbox-subject").textContent = newest.subject;
  byId("outbox-sent").textContent = `Sent ${new Date(newest.sentAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })}`;
  byId("outbox-text").textContent = newest.text;
}

onClick(byId<HTMLButtonElement>("outbox-refresh"), refreshOutbox, failed(message));
