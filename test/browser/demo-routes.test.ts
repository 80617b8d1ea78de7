// The /demo routes without a browser: off unless DEMO_ENABLED is "true", and what they serve when
// on. Runs in the workers project (it matches test/**/*.test.ts), where the ASSETS binding serves
// assets/dist (built by scripts/build-assets.mjs, which `npm test` runs first); demo.test.mjs next
// to it drives the page in Chromium and checks that wrangler.toml keeps the demo off for deploys.
// DEMO_ENABLED is set per request here because the pool also reads a developer's .dev.vars, where
// `npm start` switches the demo on.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../../src/index";

const enabled = { ...env, DEMO_ENABLED: "true" };
const demo = (path: string, init: RequestInit = {}) => app.request(path, init, enabled);
const paths = [
  ["GET", "/demo"],
  ["GET", "/demo/app.js"],
  ["GET", "/demo/api.js"],
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

  it("serves the page, its scripts and stylesheet from the static assets, this origin only, with a strict CSP", async () => {
    const page = await demo("/demo");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("Content-Security-Policy")).toContain("default-src 'none'; script-src 'self'");
    expect(page.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain('data-issuer="acme.com"');
    expect(html).toContain('<script type="module" src="/demo/app.js"></script>');
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(html).not.toMatch(/<script>|<style>|\sstyle="|\son[a-z]+="/); // nothing inline: the CSP would block it

    for (const [path, type, text] of [
      ["/demo/app.js", "text/javascript; charset=utf-8", 'from "./sign-in.js"'],
      ["/demo/second-factor.js", "text/javascript; charset=utf-8", "/api/two-factor/login"],
      ["/demo/api.js", "text/javascript; charset=utf-8", "X-Two-Factor-Reason"],
      ["/demo/style.css", "text/css; charset=utf-8", ".stepper"],
    ]) {
      const response = await demo(path!);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("Content-Type"), path).toBe(type);
      expect(response.headers.get("Content-Security-Policy"), path).toContain("default-src 'none'");
      expect(await response.text(), path).toContain(text);
    }
  });

  it("serves nothing else: no file outside the page's, no TypeScript source, no index.html by name", async () => {
    for (const path of ["/demo/", "/demo/index.html", "/demo/app.ts", "/demo/missing.js", "/demo/../wrangler.toml", "/demo/app.js.map", "/index.html"]) {
      const response = await demo(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).toBe("");
    }
  });

  it("puts the issuer in the page through HTMLRewriter, which escapes it", async () => {
    const page = await app.request("/demo", {}, { ...enabled, JWT_ISSUER: 'a"<b>' });
    expect(await page.text()).toContain('<body data-issuer="a&quot;<b>">');
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
