// The QR code of an otpauth URI, drawn here so the demo needs no CDN and the secret never leaves
// this origin. Scalable SVG: the page sizes it with CSS.
import qrcode from "qrcode-generator";

/** Long enough for any otpauth URI the demo builds (issuer, email and a Base32 secret). */
export const MAX_QR_TEXT = 1024;

export function qrSvg(text: string): string {
  // Type 0 picks the smallest version that fits; "M" is what authenticator setup screens use.
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  return code.createSvgTag({ cellSize: 4, margin: 16, scalable: true });
}
