// The emailed code's message (src/email/message.ts) with the templates read from the Worker's vars
// (src/domain/config.ts): pure, no bindings.
import { describe, expect, it } from "vitest";
import { parseConfig, type ConfigVars } from "../../src/domain/config";
import { codeEmail } from "../../src/email/message";

const template = (vars: ConfigVars = {}) => parseConfig({ EMAIL_APPLICATION_NAME: "Acme Travel", ...vars }).email.message;
const facts = { code: "123456", lifetimeSeconds: 300 };

describe("the default message", () => {
  const email = codeEmail(template(), facts);

  it("puts the code first in the subject, for mail clients that offer one-time-code autofill", () => {
    expect(email.subject).toBe("123456 is your Acme Travel verification code");
  });

  it("says the code, how long it lasts and whose it is, in both parts", () => {
    for (const part of [email.text, email.html]) {
      expect(part).toContain("123456");
      expect(part).toContain("This code expires in 5 minutes");
      expect(part).toContain("Acme Travel");
    }
    expect(codeEmail(template(), { ...facts, lifetimeSeconds: 60 }).text).toContain("This code expires in 1 minute.");
    expect(codeEmail(template(), { ...facts, lifetimeSeconds: 90 }).text).toContain("This code expires in 1 minute.");
    expect(codeEmail(template(), { ...facts, lifetimeSeconds: 30 }).text).toContain("This code expires in 30 seconds.");
  });

  it("has no links, remote images or anything that tracks", () => {
    for (const part of [email.text, email.html]) {
      expect(part).not.toMatch(/https?:|mailto:|www\.|<a\b|<img\b|src=|href=|url\(/i);
    }
  });

  it("marks itself automatic (RFC 3834) so auto-responders stay quiet, and adds nothing else", () => {
    expect(email.headers).toEqual({ "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" });
  });

  it("ends without the origin-bound line unless EMAIL_CODE_ORIGIN names a host", () => {
    expect(email.text).not.toContain("#123456");
    const bound = codeEmail(template({ EMAIL_CODE_ORIGIN: "Login.Example.com" }), facts).text;
    expect(bound.trimEnd().split("\n").at(-1)).toBe("@login.example.com #123456");
    for (const origin of ["https://login.example.com", "login", "a b.example", "exa_mple.com", "-x.example.com"]) {
      expect(codeEmail(template({ EMAIL_CODE_ORIGIN: origin }), facts).text, origin).not.toContain("#123456");
    }
  });
});

describe("the application's name", () => {
  it("is escaped in the HTML part and kept on one line in the subject", () => {
    const email = codeEmail(template({ EMAIL_APPLICATION_NAME: `<script>alert("x")</script> & 'Co'\r\nBcc: x@example.com` }), facts);
    expect(email.html).not.toContain("<script>");
    expect(email.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;");
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  it("defaults to EMAIL_APPLICATION_NAME, else EMAIL_FROM_NAME, else JWT_ISSUER", () => {
    const named = (vars: ConfigVars) => parseConfig(vars).email.message.applicationName;
    expect(named({})).toBe("acme.com");
    expect(named({ JWT_ISSUER: "login.example.org" })).toBe("login.example.org");
    expect(named({ JWT_ISSUER: "login.example.org", EMAIL_FROM_NAME: "Example" })).toBe("Example");
    expect(named({ EMAIL_FROM_NAME: "Example", EMAIL_APPLICATION_NAME: " Example Shop " })).toBe("Example Shop");
  });
});

describe("templates from the Worker's vars", () => {
  it("fill {code}, {minutes} and {application} in the subject, text and HTML", () => {
    const vars = {
      EMAIL_SUBJECT_TEMPLATE: "{application}: {code}",
      EMAIL_TEXT_TEMPLATE: "Code {code} for {application}, valid {minutes}.",
      EMAIL_HTML_TEMPLATE: "<p>{code} / {minutes} / {application}</p>",
      EMAIL_APPLICATION_NAME: "A&B",
    };
    const email = codeEmail(template(vars), facts);
    expect(email).toMatchObject({
      subject: "A&B: 123456",
      text: "Code 123456 for A&B, valid 5 minutes.",
      html: "<p>123456 / 5 minutes / A&amp;B</p>",
    });
  });

  it("are ignored for the text and HTML without {code}, as SMS_BODY_TEMPLATE is", () => {
    const defaults = codeEmail(template(), facts);
    const email = codeEmail(template({ EMAIL_TEXT_TEMPLATE: "no code here", EMAIL_HTML_TEMPLATE: "<p>nor here</p>" }), facts);
    expect(email.text).toBe(defaults.text);
    expect(email.html).toBe(defaults.html);
  });

  it("insert a value once: a name holding a placeholder is not filled again", () => {
    expect(codeEmail(template({ EMAIL_APPLICATION_NAME: "{code}" }), facts).subject).toBe("123456 is your {code} verification code");
  });
});
