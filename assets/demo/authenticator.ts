// The authenticator app's set-up step: the QR code, the key in groups of four with Copy, an
// otpauth:// link, and the app's code. What the code then does (turn two-factor on, or add the app
// beside a signed-in user's other methods) is the caller's.
import { sixDigits } from "./codes.js";
import { currentUser, issuer, state } from "./state.js";
import { button, byId, codeField, failed, form, input, Message, onClick, onSubmit, showStep } from "./ui.js";

type OnCode = (code: string, where: Message, field: HTMLInputElement) => Promise<void>;

const qrMessage = Message.of("qr-msg");
const copyKeyMessage = Message.of("copy-key-msg");
const codeMessage = Message.of("authenticator-code-msg", "authenticator-code");
/** What the current set-up does with the app's code. */
let onCode: OnCode | null = null;

codeField(input("authenticator-code"));

/** The step for `state.secret`; `submit` labels its button, `then` takes the code. */
export async function showAuthenticator(submit: string, then: OnCode): Promise<void> {
  onCode = then;
  const base32 = state.secret!.secretBase32Encoded;
  // Key URI format: otpauth://totp/<issuer>:<account>?secret=…&issuer=… ("@" may stay as it is).
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(currentUser().email).replace(/%40/g, "@")}`;
  const uri = `otpauth://totp/${label}?secret=${base32}&issuer=${encodeURIComponent(issuer)}`;
  const key = byId("secret-base32");
  key.dataset.key = base32;
  key.textContent = base32.match(/.{1,4}/g)?.join(" ") ?? base32;
  byId<HTMLAnchorElement>("otpauth-link").href = uri;
  input("authenticator-code").value = "";
  for (const message of [qrMessage, copyKeyMessage, codeMessage]) message.clear();
  const qr = byId<HTMLImageElement>("qr");
  qr.removeAttribute("src");
  button("authenticator-submit").textContent = submit;
  showStep("step-authenticator");
  // Drawn by this Worker; POST keeps the secret out of URLs and logs.
  const response = await fetch("/demo/qr.svg", { method: "POST", headers: { "Content-Type": "text/plain" }, body: uri, cache: "no-store" }).catch(() => null);
  if (!response?.ok) return qrMessage.show("error", "Could not draw the QR code. Enter the key instead.");
  qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await response.text())}`;
}

onClick(
  button("copy-key"),
  async () => {
    const key = byId("secret-base32");
    try {
      await navigator.clipboard.writeText(key.dataset.key ?? "");
      copyKeyMessage.show("ok", 'Key copied. Paste it into the app\'s "Enter a setup key".');
    } catch {
      // No clipboard access: select the key so that Ctrl+C / ⌘C copies it.
      getSelection()?.selectAllChildren(key);
      copyKeyMessage.show("info", "Selected: press Ctrl+C (⌘C on a Mac) to copy.");
    }
  },
  failed(copyKeyMessage),
);

onSubmit(
  form("authenticator-form"),
  async () => {
    const code = input("authenticator-code").value;
    if (!sixDigits(code)) return codeMessage.show("error", "Enter the 6 digits the app shows.");
    await onCode?.(code, codeMessage, input("authenticator-code"));
  },
  failed(codeMessage),
);
