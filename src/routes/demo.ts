// GET /demo: the tutorials' two forms as a working page (src/demo/), for local development. Off
// unless DEMO_ENABLED is "true": wrangler.toml sets "false" for every deploy, and `npm start`
// turns it on through .dev.vars, which only `wrangler dev` reads. Not part of the API: no
// OpenAPI entry, and the page talks to /api/* like any other client.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { demoScript } from "../demo/client";
import { demoPage } from "../demo/page";
import { MAX_QR_TEXT, qrSvg } from "../demo/qr";
import { demoStyle } from "../demo/style";
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

const send = (body: string, contentType: string) => new Response(body, { headers: { ...HEADERS, "Content-Type": `${contentType}; charset=utf-8` } });

export const demoRoutes = new Hono<AppEnv>()
  .use(async (c, next) => {
    if (c.env.DEMO_ENABLED !== "true") return empty(404);
    await next();
  })
  .get("/", (c) => send(demoPage(c.var.config.jwtIssuer), "text/html"))
  .get("/app.js", () => send(demoScript, "text/javascript"))
  .get("/style.css", () => send(demoStyle, "text/css"))
  // The otpauth URI arrives in the body, so the secret it holds stays out of URLs and request logs.
  .post("/qr.svg", bodyLimit({ maxSize: MAX_QR_TEXT * 4, onError: () => empty(413) }), async (c) => {
    const text = await c.req.text();
    if (!text || text.length > MAX_QR_TEXT) return empty(400);
    return send(qrSvg(text), "image/svg+xml");
  });
