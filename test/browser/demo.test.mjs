// The /demo page in a real browser (Debian's Chromium through playwright-core) against the
// `wrangler dev` and fake Twilio that global-setup.mjs started: both tutorials from API key to
// signed-in view, the error wording, keyboard use and a 375 px phone screen. Screenshots of each
// step go to test-results/screenshots/.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticatorCode, e2e, messagesTo, newPhone, onlyCodeTo, SMS_CODE, uniqueEmail, unknownTwoFactorId, wrongCode } from "../e2e/support.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const PASSWORD = "correct horse battery staple";
const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
const DESKTOP = { viewport: { width: 1280, height: 900 } };
const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** @type {Promise<import("playwright-core").Browser> | undefined} */
let launched;

/**
 * Chromium, started by the first test that needs it. A missing browser fails every browser test
 * with the fix in the message (a throw in beforeAll would only mark them skipped): never a silent skip.
 */
function chromiumBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}. Install it with "apt-get install -y chromium" (.ci/run does) or set CHROMIUM_PATH.`);
  }
  launched ??= chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return launched;
}

beforeAll(() => {
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await (await launched?.catch(() => undefined))?.close();
});

/**
 * A fresh tab on /demo that records script errors, CSP violations, failed loads of the page's own
 * files and any request off this origin. API answers like 421 are the page's business: Chromium
 * logs each as "Failed to load resource", so those lines are left out.
 */
async function openDemo(options) {
  const browser = await chromiumBrowser();
  const context = await browser.newContext({ ...options, baseURL: e2e.baseUrl });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) problems.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (response.status() >= 400 && !pathname.startsWith("/api/")) problems.push(`${response.status()} for ${pathname}`);
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${e2e.baseUrl}/`) && !url.startsWith("data:")) problems.push(`request off this origin: ${url}`);
  });
  const response = await page.goto("/demo");
  expect(response?.status()).toBe(200);
  return { page, problems, close: () => context.close() };
}

const shot = (page, name) => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
const stepShown = (page, id) => page.locator(`#step-${id}`).waitFor({ state: "visible" });
const statusSays = (page, text) => page.locator("#status").filter({ hasText: text }).waitFor();
const errorSays = (page, text) => page.locator("#error").filter({ hasText: text }).waitFor();
/** The step on screen. Labels repeat across steps ("Password", "Email"), so look them up in it. */
const here = (page) => page.locator("main > section:visible");
const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? "");

/** No horizontal scrolling at this width. */
async function expectFits(page, width = 375) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

/** The signed-in view's claims, as the page decoded them (a <dl> of name → value). */
function shownClaims(page) {
  return page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll("#claims dt")].map((term) => [term.textContent, term.nextElementSibling.textContent])),
  );
}

/** The user as the API sees it, to check what the page did. */
async function apiUser(email) {
  const response = await fetch(`${e2e.baseUrl}/api/user?email=${encodeURIComponent(email)}`, { headers: { Authorization: e2e.apiKey } });
  expect(response.status).toBe(200);
  return (await response.json()).user;
}

/** API key, user and method steps, by mouse; ends on the chosen method's enrolment step. */
async function enterKeyAndCreateUser(page, { email, phone, method }) {
  await here(page).getByLabel("API key").fill(e2e.apiKey);
  await here(page).getByRole("button", { name: "Use this key" }).click();
  await stepShown(page, "user");
  await here(page).getByLabel("Email", { exact: true }).fill(email);
  await here(page).getByLabel("Password", { exact: true }).fill(PASSWORD);
  if (phone)
    await here(page)
      .getByLabel(/Mobile phone/)
      .fill(phone);
  await here(page).getByRole("button", { name: "Create user" }).click();
  await stepShown(page, "method");
  await here(page).getByLabel(method).check();
  await here(page).getByRole("button", { name: "Continue" }).click();
}

describe("the /demo switch", () => {
  it("is off for deploys: wrangler.toml sets DEMO_ENABLED to false, and only wrangler dev reads .dev.vars", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    expect(toml).toMatch(/^DEMO_ENABLED = "false"$/m);
    const devVars = readFileSync(new URL("../../scripts/dev-vars.mjs", import.meta.url), "utf8");
    expect(devVars).toContain('"DEMO_ENABLED=true"');
  });
});

describe("the /demo page in Chromium", () => {
  it("walks the authenticator-app tutorial by keyboard: QR code and secret, enable, 242, a wrong code, signed in", async () => {
    const { page, problems, close } = await openDemo(DESKTOP);
    const email = uniqueEmail("demo-totp");
    expect(await page.evaluate(() => [...document.querySelectorAll("input")].filter((input) => input.labels.length === 0).map((input) => input.id))).toEqual(
      [],
    );

    await here(page).getByLabel("API key").focus();
    await page.keyboard.type(e2e.apiKey);
    await shot(page, "authenticator-1-api-key");
    await page.keyboard.press("Enter");
    await stepShown(page, "user");
    await statusSays(page, "API key accepted");

    // Focus lands on the step's heading; Tab walks the fields in order; focus is visible; Enter submits.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H2");
    await page.keyboard.press("Tab");
    expect(await focusedId(page)).toBe("email");
    expect(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)).toBe("solid");
    await page.keyboard.type(email);
    await page.keyboard.press("Tab");
    expect(await focusedId(page)).toBe("password");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Tab");
    expect(await focusedId(page)).toBe("mobile-phone");
    await shot(page, "authenticator-2-user");
    await page.keyboard.press("Enter");
    await stepShown(page, "method");

    await page.keyboard.press("Tab"); // the checked radio: "Authenticator app"
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Continue");
    await page.keyboard.press("Enter");
    await stepShown(page, "authenticator");

    // The QR code is drawn by this server; the Base32 secret is there to type by hand.
    await page.waitForFunction(() => {
      const image = document.getElementById("qr");
      return image.complete && image.naturalWidth > 0;
    });
    const base32 = await page.locator("#secret-base32").textContent();
    expect(base32).toMatch(/^[A-Z2-7]{24}$/);
    expect(await page.locator("#otpauth-uri").textContent()).toBe(`otpauth://totp/acme.com:${email}?secret=${base32}&issuer=acme.com`);
    await statusSays(page, "Scan the QR code");
    await shot(page, "authenticator-3-enrol");
    await here(page).getByLabel("Verification code from the app").fill(authenticatorCode(base32));
    await page.keyboard.press("Enter");

    await stepShown(page, "login");
    expect(await here(page).getByLabel("Email", { exact: true }).inputValue()).toBe(email);
    expect(await apiUser(email)).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    await here(page).getByLabel("Password", { exact: true }).fill(PASSWORD);
    await shot(page, "authenticator-4-login");
    await page.keyboard.press("Enter");

    await stepShown(page, "code");
    expect(await page.locator("#resend").isHidden()).toBe(true);
    await here(page).getByLabel("Verification code", { exact: true }).fill(wrongCode(base32));
    await page.keyboard.press("Enter");
    await errorSays(page, "That code is not valid.");
    await shot(page, "authenticator-5-wrong-code");
    // The enable used up this 30 s step's code (replay guard); the next step's is inside the window.
    await here(page).getByLabel("Verification code", { exact: true }).fill(authenticatorCode(base32, 1));
    await page.keyboard.press("Enter");

    await stepShown(page, "done");
    await statusSays(page, `Signed in as ${email}`);
    const claims = await shownClaims(page);
    const user = await apiUser(email);
    expect(claims).toMatchObject({ sub: user.id, email, iss: "acme.com", aud: APPLICATION_ID, applicationId: APPLICATION_ID });
    expect(claims.exp).toMatch(/^\d+ \(/);
    await shot(page, "authenticator-6-signed-in");

    expect(problems).toEqual([]);
    await close();
  });

  it("walks the Twilio tutorial on a 375 px phone: Twilio settings, send code, enable, 242, Wait N seconds, trusted computer", async () => {
    const { page, problems, close } = await openDemo(PHONE);
    const email = uniqueEmail("demo-sms");
    const phone = newPhone();
    await expectFits(page);

    await enterKeyAndCreateUser(page, { email, phone: phone.typed, method: "Text message" });
    await stepShown(page, "sms");
    // A fresh server has no Twilio integration: the panel opens and says so.
    await statusSays(page, "Twilio is not configured yet");
    await here(page).getByLabel("Twilio URL").fill(e2e.fakeTwilioUrl);
    await expectFits(page);
    await shot(page, "sms-1-twilio");
    await here(page).getByRole("button", { name: "Save Twilio settings" }).click();
    await statusSays(page, "Twilio settings saved");

    expect(await here(page).getByLabel("Mobile phone", { exact: true }).inputValue()).toBe(phone.typed);
    await here(page).getByRole("button", { name: "Send code to mobile phone" }).click();
    await statusSays(page, "Code sent");
    const enrolmentCode = await onlyCodeTo(phone.e164);
    await here(page).getByLabel("Verification code from the text message").fill(enrolmentCode);
    await expectFits(page);
    await shot(page, "sms-2-enrol");
    await here(page).getByRole("button", { name: "Enable two-factor" }).click();

    await stepShown(page, "login");
    expect(await apiUser(email)).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });
    await here(page).getByLabel("Password", { exact: true }).fill(PASSWORD);
    await here(page).getByRole("button", { name: "Log in" }).click();

    // The Login API texted a code; another one right away is refused for 30 s per purpose.
    await stepShown(page, "code");
    expect(await page.locator("#code-hint").textContent()).toContain(phone.typed);
    await here(page).getByRole("button", { name: "Send another code" }).click();
    await errorSays(page, /Wait \d+ seconds/);
    await expectFits(page);
    await shot(page, "sms-3-wait");
    const texts = await messagesTo(phone.e164);
    expect(texts).toHaveLength(2);
    const loginCode = SMS_CODE.exec(texts[1].body)[1];
    await here(page).getByLabel("Verification code", { exact: true }).fill(loginCode);
    await here(page).getByLabel("Trust this computer").check();
    await here(page).getByRole("button", { name: "Verify" }).click();

    await stepShown(page, "done");
    expect(await page.locator("#done-summary").textContent()).toContain("This computer is trusted");
    expect(await shownClaims(page)).toMatchObject({ email, aud: APPLICATION_ID });
    await expectFits(page);
    await shot(page, "sms-4-signed-in");

    // The trust id skips the code on the next login, and no text is sent.
    await here(page).getByRole("button", { name: "Log in again" }).click();
    await stepShown(page, "login");
    await here(page).getByLabel("Password", { exact: true }).fill(PASSWORD);
    await here(page).getByRole("button", { name: "Log in" }).click();
    await stepShown(page, "done");
    expect(await page.locator("#done-summary").textContent()).toContain("Signed in without a code");
    expect(await messagesTo(phone.e164)).toHaveLength(2);

    expect(problems).toEqual([]);
    await close();
  });

  it("puts the API's refusals in words: 401, 400 with FusionAuth's messages, 409 locked until, 404 sign-in expired", async () => {
    const { page, problems, close } = await openDemo(DESKTOP);
    await here(page).getByLabel("API key").fill("not-the-key");
    await here(page).getByRole("button", { name: "Use this key" }).click();
    await errorSays(page, "The API key was not accepted.");

    // A duplicate email: the server's own field error message.
    const taken = uniqueEmail("demo-taken");
    const created = await fetch(`${e2e.baseUrl}/api/user`, {
      method: "POST",
      headers: { Authorization: e2e.apiKey, "Content-Type": "application/json" },
      body: JSON.stringify({ user: { email: taken, password: PASSWORD } }),
    });
    expect(created.status).toBe(200);
    await here(page).getByLabel("API key").fill(e2e.apiKey);
    await here(page).getByRole("button", { name: "Use this key" }).click();
    await stepShown(page, "user");
    await here(page).getByLabel("Email", { exact: true }).fill(taken);
    await here(page).getByLabel("Password", { exact: true }).fill(PASSWORD);
    await here(page).getByRole("button", { name: "Create user" }).click();
    await errorSays(page, `A User with email = [${taken}] already exists.`);

    const email = uniqueEmail("demo-words");
    await here(page).getByLabel("Email", { exact: true }).fill(email);
    await here(page).getByRole("button", { name: "Create user" }).click();
    await stepShown(page, "method");
    await here(page).getByRole("button", { name: "Continue" }).click();
    await stepShown(page, "authenticator");
    const base32 = await page.locator("#secret-base32").textContent();
    await here(page).getByLabel("Verification code from the app").fill(authenticatorCode(base32));
    await here(page).getByRole("button", { name: "Enable two-factor" }).click();
    await stepShown(page, "login");

    // A lock and a challenge that is gone take minutes to reach for real: the Login API's answers
    // are stood in for, once each; the 404 then comes from the server for an unknown twoFactorId.
    const expiry = Date.now() + 180_000;
    await page.route(
      "**/api/login",
      (route) => route.fulfill({ status: 409, contentType: "application/json", body: JSON.stringify({ actions: [{ expiry }] }) }),
      { times: 1 },
    );
    await here(page).getByLabel("Password", { exact: true }).fill(PASSWORD);
    await here(page).getByRole("button", { name: "Log in" }).click();
    const until = await page.evaluate((time) => new Date(time).toLocaleString(), expiry);
    await errorSays(page, `Locked until ${until}`);
    await shot(page, "words-409-locked");

    await page.route(
      "**/api/login",
      (route) => route.fulfill({ status: 242, contentType: "application/json", body: JSON.stringify({ twoFactorId: unknownTwoFactorId() }) }),
      { times: 1 },
    );
    await here(page).getByRole("button", { name: "Log in" }).click();
    await stepShown(page, "code");
    await here(page).getByLabel("Verification code", { exact: true }).fill(authenticatorCode(base32, 1));
    await here(page).getByRole("button", { name: "Verify" }).click();
    await errorSays(page, "This sign-in expired, start again.");
    await here(page).getByRole("button", { name: "Start again" }).click();
    await stepShown(page, "login");

    expect(problems).toEqual([]);
    await close();
  });

  it("fits the authenticator enrolment, with its QR code and URI, on a 375 px phone", async () => {
    const { page, problems, close } = await openDemo(PHONE);
    await enterKeyAndCreateUser(page, { email: uniqueEmail("demo-narrow"), method: "Authenticator app" });
    await stepShown(page, "authenticator");
    await statusSays(page, "Scan the QR code");
    await page.getByText("otpauth URI").click();
    await expectFits(page);
    await shot(page, "mobile-authenticator-enrol");
    expect(problems).toEqual([]);
    await close();
  });
});
