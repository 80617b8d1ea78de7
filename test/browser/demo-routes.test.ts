// The /demo routes without a browser: off unless DEMO_ENABLED is "true", and what they serve when
// on. Runs in the workers project (it matches test/**/*.test.ts); demo.test.mjs next to it drives
// the page in Chromium and checks that wrangler.toml keeps the demo off for deploys. DEMO_ENABLED
// is set per request here because the pool also reads a developer's .dev.vars, where `npm start`
// switches the demo on.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/index";

const enabled = { ...env, DEMO_ENABLED: "true" };
const demo = (path: string, init: RequestInit = {}) => app.request(path, init, enabled);
const paths = [
  ["GET", "/demo"],
  ["GET", "/demo/app.js"],
  ["GET", "/demo/style.css"],
  ["POST", "/demo/qr.svg"],
] as const;

describe("the /demo page", () => {
  it("answers an empty 404 on every demo path unless DEMO_ENABLED is exactly true", async () => {
    for (const value of ["false", undefined, "", "yes", "TRUE"]) {
      for (const [method, path] of paths) {
        const body = method === "POST" ? "otpauth://totp/x" : undefined;
        const response = await app.request(path, { method, body }, { ...env, DEMO_ENABLED: value });
        expect(response.status, `${method} ${path} with DEMO_ENABLED=${value}`).toBe(404);
        expect(await response.text()).toBe("");
      }
    }
  });

  it("serves the page, its script and stylesheet from this origin only, with a strict CSP", async () => {
    const page = await demo("/demo");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("Content-Security-Policy")).toContain("default-src 'none'; script-src 'self'");
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain('data-issuer="acme.com"');
    expect(html).toContain('<script src="/demo/app.js" defer></script>');
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);

    const script = await demo("/demo/app.js");
    expect(script.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain("/api/two-factor/login");
    const style = await demo("/demo/style.css");
    expect(style.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
  });

  it("escapes the issuer it puts in the page", async () => {
    const page = await app.request("/demo", {}, { ...enabled, JWT_ISSUER: 'a"<b>' });
    expect(await page.text()).toContain('data-issuer="a&quot;&lt;b&gt;"');
  });

  it("draws the QR code of a posted otpauth URI as SVG, and refuses an empty or oversized one", async () => {
    const uri = "otpauth://totp/acme.com:richard@example.com?secret=HBGUUSTGINMTIRKSIJ2G65DW&issuer=acme.com";
    const qr = await demo("/demo/qr.svg", { method: "POST", body: uri, headers: { "Content-Type": "text/plain" } });
    expect(qr.status).toBe(200);
    expect(qr.headers.get("Content-Type")).toBe("image/svg+xml; charset=utf-8");
    const svg = await qr.text();
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    expect(svg).not.toContain("HBGUUSTG"); // the secret is in the modules, not in readable text

    expect((await demo("/demo/qr.svg", { method: "POST", body: "" })).status).toBe(400);
    expect((await demo("/demo/qr.svg", { method: "POST", body: "x".repeat(1025) })).status).toBe(400);
    expect((await demo("/demo/qr.svg", { method: "GET" })).status).toBe(404);
  });
});
