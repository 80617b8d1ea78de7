// GET /demo: the tutorials as a working page, for local development. Its files are Workers static
// assets (assets/demo/, built into assets/dist/demo/ by scripts/build-assets.mjs) that wrangler.toml
// serves only through this route (run_worker_first = true, the ASSETS binding). Off unless
// DEMO_ENABLED is "true": wrangler.toml sets "false" for every deploy, and `npm start` turns it on
// through .dev.vars, which only `wrangler dev` reads. Not part of the API: no OpenAPI entry, and
// the page talks to /api/* like any other client.
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import qrcode from "qrcode-generator";
import type { AppEnv } from "./http/context";
import { empty } from "./http/respond";

// Same-origin only: no CDN, no inline script, and the page can call nothing but this server.
// form-action 'none' stops a form from being submitted as a navigation (which would put the
// password in the URL) should the script fail to load.
const HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

/** The page's files by extension; anything else under /demo/ is not served. */
const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** Long enough for any otpauth URI the page builds (issuer, email and a Base32 secret). */
const MAX_QR_TEXT = 1024;

/** The QR code of an otpauth URI as scalable SVG, drawn here so that the secret never leaves this origin. */
function qrSvg(text: string): string {
  // Type 0 picks the smallest version that fits; "M" is what authenticator set-up screens use.
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  return code.createSvgTag({ cellSize: 4, margin: 16, scalable: true });
}

/** One of the page's files from the ASSETS binding, with the page's headers; 404 when there is no such file. */
async function asset(c: Context<AppEnv>, file: string): Promise<Response> {
  const contentType = CONTENT_TYPES[file.slice(file.lastIndexOf(".") + 1)];
  if (!contentType) return empty(404);
  const found = await c.env.ASSETS.fetch(new URL(`/demo/${file}`, c.req.url));
  if (found.status !== 200) {
    await found.body?.cancel();
    return empty(404);
  }
  const response = new Response(found.body, { headers: { ...HEADERS, "Content-Type": contentType } });
  if (file !== "index.html") return response;
  // The issuer names the account in authenticator apps; HTMLRewriter escapes the attribute.
  const issuer = c.var.scope.config.jwtIssuer;
  return new HTMLRewriter().on("body", { element: (body) => void body.setAttribute("data-issuer", issuer) }).transform(response);
}

export const demoRoutes = new Hono<AppEnv>()
  .use(async (c, next) => {
    if (c.env.DEMO_ENABLED !== "true") return empty(404);
    await next();
  })
  .get("/", (c) => asset(c, "index.html"))
  .get("/:file{[a-z][a-z0-9-]*\\.(?:js|css)}", (c) => asset(c, c.req.param("file")))
  // The otpauth URI arrives in the body, so the secret it holds stays out of URLs and request logs.
  .post("/qr.svg", bodyLimit({ maxSize: MAX_QR_TEXT * 4, onError: () => empty(413) }), async (c) => {
    const text = await c.req.text();
    if (!text || text.length > MAX_QR_TEXT) return empty(400);
    return new Response(qrSvg(text), { headers: { ...HEADERS, "Content-Type": "image/svg+xml; charset=utf-8" } });
  });
