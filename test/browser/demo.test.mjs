// The /demo page in a real browser (Debian's Chromium through playwright-core) against the
// `wrangler dev` and fake Twilio that global-setup.mjs started (wrangler through scripts/start.mjs,
// as `npm start` runs it). Both tutorials, each at 1280×800 and on a 375×800 phone: enrolment
// (a pasted code), recovery codes shown once (copy, download), sign-in with 242, the second factor
// (a code used twice in one 30 s step, a wrong code, a 429 countdown, a recovery code), the
// signed-in view's claims and trusted devices (named, revoked), a user with several methods (a
// phone added through the 1.26+ calls, the sign-in's choice of method, the methods listed, one
// removed, an app added), email as a second factor (a first method with its recovery codes, an
// address added beside the app, chosen at sign-in, removed, each code read from the page's panel of
// the local outbox), layout boxes (the phone and address fields and their buttons inside the card,
// the outbox panel, the choices, six digits unclipped), API errors in sentences and a refused text. Every flow checks that the page
// had no script error, no CSP violation, no request off this origin, and that the server printed
// no error line. Screenshots of each step go to test-results/screenshots/.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPhone } from "../../src/sms/phone.ts";
import { authenticatorCode, e2e, messagesTo, newPhone, onlyCodeTo, SMS_CODE, STEP_MS, twilioSettings, uniqueEmail } from "../e2e/support.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const SERVER_LOG = fileURLToPath(new URL("../../test-results/browser/wrangler.log", import.meta.url));
const PASSWORD = "correct horse battery staple";
const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
const WIDTHS = [
  { name: "desktop", options: { viewport: { width: 1280, height: 800 } } },
  { name: "phone", options: { viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } },
];
/** Crockford's Base32: no I, L, O or U. */
const RECOVERY_CODE = /^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;
const ANSI = /\x1b\[[0-9;]*m/g; // eslint-disable-line no-control-regex

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
  const context = await browser.newContext({ ...options, baseURL: e2e.baseUrl, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: e2e.baseUrl });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) problems.push(`console: ${message.text()}`);
  });
  // Injected by the browser, not by the page: the CSP does not apply to it.
  await page.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)),
  );
  page.on("response", (response) => {
    const { pathname } = new URL(response.url());
    if (response.status() >= 400 && !pathname.startsWith("/api/")) problems.push(`${response.status()} for ${pathname}`);
  });
  page.on("request", (request) => {
    const url = request.url();
    const here = url.startsWith(`${e2e.baseUrl}/`) || url.startsWith("data:") || url.startsWith(`blob:${e2e.baseUrl}/`);
    if (!here) problems.push(`request off this origin: ${url}`);
  });
  const response = await page.goto("/demo");
  expect(response?.status()).toBe(200);
  return { page, problems, close: () => context.close() };
}

const shot = (page, name) => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
const stepShown = (page, id) => page.locator(`#step-${id}`).waitFor({ state: "visible" });
/** The step on screen. Labels repeat across steps ("Password", "Email"), so look them up in it. */
const here = (page) => page.locator("main > section:visible");
const says = (page, id, text) => page.locator(`#${id}`).filter({ hasText: text }).waitFor();
const textOf = (page, id) => page.locator(`#${id}`).textContent();
const toneOf = (page, id) => page.locator(`#${id}`).getAttribute("data-tone");

/** No horizontal scrolling at this width. */
async function expectFits(page) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scroll).toBeLessThanOrEqual(width);
}

/** The layout box of each selector's element, as the page lays it out. */
const boxes = (page, ...selectors) =>
  page.evaluate((list) => list.map((selector) => document.querySelector(selector).getBoundingClientRect().toJSON()), selectors);

/** The phone field and "Text me a code" sit inside the card, the field wide enough for a number. */
async function expectPhoneRowFits(page, fieldSelector = "#sms-phone", sendSelector = "#send-code") {
  const [card, field, send] = await boxes(page, "#main", fieldSelector, sendSelector);
  expect(field.width).toBeGreaterThanOrEqual(150);
  for (const box of [field, send]) {
    expect(box.left).toBeGreaterThanOrEqual(card.left);
    expect(box.right).toBeLessThanOrEqual(card.right);
  }
  expect(send.width).toBeGreaterThan(0);
}

/** The sign-in's choice of method: every choice shown, inside the card, one under the other. */
async function expectChoicesFit(page, count) {
  const [card] = await boxes(page, "#main");
  const choices = await page.evaluate(() => [...document.querySelectorAll("#method-choices button")].map((button) => button.getBoundingClientRect().toJSON()));
  expect(choices).toHaveLength(count);
  for (const box of choices) {
    expect(box.width).toBeGreaterThan(0);
    expect(box.height).toBeGreaterThan(0);
    expect(box.left).toBeGreaterThanOrEqual(card.left);
    expect(box.right).toBeLessThanOrEqual(card.right);
  }
  choices.slice(1).forEach((box, index) => expect(box.top).toBeGreaterThanOrEqual(choices[index].bottom));
}

/** The signed-in view's methods: each one's name and whether it was used last. */
const shownMethods = (page) =>
  page.locator("#method-list li").evaluateAll((items) => items.map((item) => [...item.querySelectorAll("p")].map((line) => line.textContent)));

/** A code field holding six digits, all selected: nothing scrolled out of sight, the field inside the card. */
async function expectDigitsUnclipped(page, id) {
  await page.locator(`#${id}`).selectText();
  const { value, scrollLeft, scrollWidth, clientWidth } = await page.locator(`#${id}`).evaluate((field) => ({
    value: field.value,
    scrollLeft: field.scrollLeft,
    scrollWidth: field.scrollWidth,
    clientWidth: field.clientWidth,
  }));
  expect(value).toMatch(/^\d{6}$/);
  expect(scrollLeft).toBe(0);
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  const [card, field] = await boxes(page, "#main", `#${id}`);
  expect(field.right).toBeLessThanOrEqual(card.right);
}

/** The stepper: which steps are done, which is current (aria-current and in words). */
async function expectStepper(page, current) {
  const steps = await page.evaluate(() =>
    [...document.querySelectorAll(".stepper li")].map((item) => ({
      step: item.dataset.step,
      done: item.classList.contains("is-done"),
      current: item.getAttribute("aria-current") === "step",
      words: item.querySelector(".state")?.textContent,
    })),
  );
  const index = steps.findIndex((step) => step.step === current);
  expect(index).toBeGreaterThanOrEqual(0);
  steps.forEach((step, at) => {
    expect(step.done, step.step).toBe(at < index);
    expect(step.current, step.step).toBe(at === index);
    expect(step.words, step.step).toBe(at < index ? " (done)" : at === index ? " (current step)" : " (not yet)");
  });
}

/** The focus is on the step's heading, so a screen reader starts there. */
async function expectHeadingFocused(page) {
  expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
}

/** The signed-in view's claims table, as the page decoded it: claim → value cell's text. */
function shownClaims(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("#claims tr")].map((row) => [row.querySelector("th code")?.textContent, row.querySelector("td")?.textContent]),
    ),
  );
}

/** The claims table wraps inside its cells: nothing sticks out of a cell. */
async function expectClaimsWrap(page) {
  const overflowing = await page.evaluate(() =>
    [...document.querySelectorAll("#claims th, #claims td")].filter((cell) => cell.scrollWidth > cell.clientWidth).map((cell) => cell.textContent),
  );
  expect(overflowing).toEqual([]);
}

/** Lines the server printed that look like an error or a stack trace. */
function serverErrorLines() {
  return readFileSync(SERVER_LOG, "utf8")
    .replace(ANSI, "")
    .split("\n")
    .filter((line) => /\[ERROR\]|^\s+at |stack:|Uncaught|kj::/.test(line));
}

async function api(method, path, body) {
  const response = await fetch(`${e2e.baseUrl}${path}`, {
    method,
    headers: { Authorization: e2e.apiKey, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, data: text ? JSON.parse(text) : null };
}

/** The user as the API sees it, to check what the page did. */
async function apiUser(email) {
  const { status, data } = await api("GET", `/api/user?email=${encodeURIComponent(email)}`);
  expect(status).toBe(200);
  return data.user;
}

/** API key, user and method steps; ends on the chosen method's set-up step. */
async function enterKeyAndCreateUser(page, { email, phone, method }) {
  expect(await page.evaluate(() => [...document.querySelectorAll("input")].filter((input) => input.labels.length === 0).map((input) => input.id))).toEqual([]);
  await expectStepper(page, "key");
  await here(page).getByLabel("API key").fill(e2e.apiKey);
  await here(page).getByRole("button", { name: "Continue" }).click();
  await stepShown(page, "user");
  await expectHeadingFocused(page);
  await expectStepper(page, "user");
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

/**
 * The recovery-code step that follows enabling: ten codes, copied and downloaded, gone from the
 * page once left. Returns the codes.
 */
async function saveRecoveryCodes(page, { email, width }) {
  await stepShown(page, "recovery");
  await expectHeadingFocused(page);
  await expectStepper(page, "enrol");
  const codes = await page.locator("#recovery-codes code").allTextContents();
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(RECOVERY_CODE);
  expect(new Set(codes).size).toBe(10);
  expect((await apiUser(email)).twoFactorRecoveryCodesRemaining).toBe(10);

  await here(page).getByRole("button", { name: "Copy codes" }).click();
  await says(page, "recovery-msg", "Codes copied.");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  for (const code of codes) expect(copied).toContain(code);

  const [download] = await Promise.all([page.waitForEvent("download"), here(page).getByRole("button", { name: "Download .txt" }).click()]);
  expect(download.suggestedFilename()).toBe("recovery-codes.txt");
  const file = readFileSync(await download.path(), "utf8");
  expect(file).toContain(email);
  for (const code of codes) expect(file).toContain(`\n${code}\n`);
  await expectFits(page);
  await shot(page, `${width}-recovery-codes`);

  await here(page).getByRole("button", { name: "I saved them, continue" }).click();
  await stepShown(page, "login");
  // Shown once: nothing of them is left in the page.
  expect(await page.locator("#recovery-codes li").count()).toBe(0);
  expect(await page.content()).not.toContain(codes[0]);
  return codes;
}

async function signIn(page) {
  await here(page).getByLabel("Password", { exact: true }).fill(PASSWORD);
  await here(page).getByRole("button", { name: "Sign in" }).click();
}

/** The trusted-devices list of the signed-in view: one device, revoked; the focus stays in the list's section. */
async function revokeTheOnlyDevice(page, email) {
  const user = await apiUser(email);
  // This sign-in's list, not the one a previous sign-in left: the page marks the section busy until it is in.
  await page.locator("#devices:not([aria-busy])").waitFor();
  expect(await page.locator("#device-list li").count()).toBe(1);
  expect((await api("GET", `/api/user/two-factor/trust/${user.id}`)).data.devices).toHaveLength(1);
  // This browser's device, named from its user agent (the API keeps no name).
  expect(await page.locator("#device-list .device-name").textContent()).toMatch(/^\S.* on \S.* · this browser$/);
  await here(page)
    .getByRole("button", { name: /^Revoke/ })
    .click();
  await says(page, "devices-msg", "Revoked");
  expect(await page.locator("#device-list li").count()).toBe(0);
  expect(await page.locator("#devices-empty").isVisible()).toBe(true);
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("devices-title");
  expect((await api("GET", `/api/user/two-factor/trust/${user.id}`)).data.devices).toEqual([]);
  const summary = await textOf(page, "done-summary");
  expect(summary).toMatch(/ This computer is no longer trusted: the next sign-in asks for a code\.$/);
  expect(summary).not.toMatch(/is (now )?trusted/);
}

/** "d…@example.com": an address as the page shows it at sign-in (a word joiner keeps it on one line). */
const masked = (email) => `${email[0]}…\u2060${email.slice(email.indexOf("@"))}`;

/**
 * The code in the page's outbox panel, which shows the newest email to `email` as the server's
 * outbox lists it, as text (no element of its HTML part), inside the card and wrapped.
 */
async function codeFromOutbox(page, email) {
  await page.locator("#outbox:visible #outbox-text").filter({ hasText: /\d{6}/ }).waitFor();
  const { status, data } = await api("GET", `/api/email/outbox?to=${encodeURIComponent(email)}`);
  expect(status).toBe(200);
  const newest = data.messages.at(-1);
  expect(newest.to).toBe(email);
  expect(await textOf(page, "outbox-subject")).toBe(newest.subject);
  expect(await textOf(page, "outbox-text")).toBe(newest.text);
  expect(await page.locator("#outbox-email *").count()).toBe(3);
  const [card, panel, text] = await boxes(page, "#main", "#outbox", "#outbox-text");
  for (const box of [panel, text]) {
    expect(box.left).toBeGreaterThanOrEqual(card.left);
    expect(box.right).toBeLessThanOrEqual(card.right);
  }
  expect(await page.locator("#outbox-text").evaluate((pre) => pre.scrollWidth <= pre.clientWidth)).toBe(true);
  await expectFits(page);
  return /\b(\d{6})\b/.exec(newest.text)[1];
}

/** The authenticator's code once it differs from `used` (the replay guard takes a step's code once). */
async function codeOtherThan(base32, used) {
  while (authenticatorCode(base32) === used) await new Promise((resolve) => setTimeout(resolve, 250));
  return authenticatorCode(base32);
}

/** Waits, if needed, until at least `seconds` are left in the current 30 s TOTP step. */
async function atLeastLeftInStep(seconds) {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < seconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 200));
}

describe("the /demo switch", () => {
  it("is off for deploys: wrangler.toml sets DEMO_ENABLED to false, and only wrangler dev reads .dev.vars", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    expect(toml).toMatch(/^DEMO_ENABLED = "false"$/m);
    const devVars = readFileSync(new URL("../../scripts/dev-vars.mjs", import.meta.url), "utf8");
    expect(devVars).toContain('"DEMO_ENABLED=true"');
  });
});

describe("rebuilding the page under a running wrangler dev (npm test, npm run typecheck or build:assets next to npm start)", () => {
  it("keeps serving every file of /demo during the build and after it", async () => {
    // Every module and stylesheet of assets/demo/, as the build names them.
    const files = readdirSync(new URL("../../assets/demo/", import.meta.url)).filter((file) => /\.(?:ts|css)$/.test(file));
    const paths = ["/demo", ...files.map((file) => `/demo/${file.replace(/\.ts$/, ".js")}`)];
    const statuses = async () => Promise.all(paths.map(async (path) => `${path} ${(await fetch(`${e2e.baseUrl}${path}`)).status}`));
    const ok = paths.map((path) => `${path} 200`);
    expect(await statuses()).toEqual(ok);
    const build = spawn(process.execPath, [fileURLToPath(new URL("../../scripts/build-assets.mjs", import.meta.url))], { stdio: "inherit" });
    const exited = new Promise((resolve) => build.on("exit", resolve));
    let building = true;
    void exited.then(() => (building = false));
    while (building) expect(await statuses()).toEqual(ok);
    expect(await exited).toBe(0);
    // wrangler re-reads the folder a moment after the last change it saw.
    for (const wait of [500, 1_500, 3_000]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      expect(await statuses()).toEqual(ok);
    }
  });
});

describe.each(WIDTHS)("the /demo page in Chromium at $options.viewport.width px", ({ name: width, options }) => {
  it("walks the authenticator-app tutorial: a code used twice in one step, the next one, recovery codes, trusted device revoked", async () => {
    const { page, problems, close } = await openDemo(options);
    const email = uniqueEmail(`demo-totp-${width}`);
    await enterKeyAndCreateUser(page, { email, method: "Authenticator app" });

    // The QR code (drawn by this server), the key in groups of four with a copy button, the otpauth:// link.
    await stepShown(page, "authenticator");
    await expectStepper(page, "enrol");
    await page.waitForFunction(() => {
      const image = document.getElementById("qr");
      return image.complete && image.naturalWidth > 0;
    });
    const base32 = await page.locator("#secret-base32").getAttribute("data-key");
    expect(base32).toMatch(/^[A-Z2-7]{16,}$/);
    expect(await textOf(page, "secret-base32")).toBe(base32.match(/.{1,4}/g).join(" "));
    expect(await page.locator("#otpauth-link").getAttribute("href")).toBe(`otpauth://totp/acme.com:${email}?secret=${base32}&issuer=acme.com`);
    await here(page).getByRole("button", { name: "Copy" }).click();
    await says(page, "copy-key-msg", "Key copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(base32);
    await expectFits(page);
    await shot(page, `${width}-authenticator-enrol`);

    // Enable and log in within one 30 s step, with the same code: the second use is refused as "just used".
    await atLeastLeftInStep(20);
    const code = authenticatorCode(base32);
    await here(page).getByLabel("Enter the 6-digit code the app shows").fill(code); // six digits submit by themselves
    const recoveryCodes = await saveRecoveryCodes(page, { email, width });
    expect(await apiUser(email)).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "None" });
    expect(await here(page).getByLabel("Email", { exact: true }).inputValue()).toBe(email);
    await signIn(page);

    await stepShown(page, "code");
    await expectStepper(page, "code");
    expect(await page.locator("#resend").isHidden()).toBe(true);
    await here(page).getByLabel("Trust this computer").check();
    await here(page).getByLabel("Verification code").fill(code);
    await says(page, "login-code-msg", "That code was just used.");
    const first = await textOf(page, "login-code-msg");
    const match = /^That code was just used\. Your app shows a new one in (\d+) s\.$/.exec(first);
    expect(match, first).not.toBeNull();
    expect(await toneOf(page, "login-code-msg")).toBe("warn");
    expect(await page.locator("#login-code").getAttribute("aria-invalid")).toBeNull();
    await shot(page, `${width}-authenticator-just-used`);
    const seconds = Number(match[1]);
    if (seconds > 3) {
      await page.waitForTimeout(2_200);
      const later = Number(/in (\d+) s/.exec(await textOf(page, "login-code-msg"))[1]);
      expect(later).toBeLessThan(seconds); // a live countdown
    }
    await page.locator("#login-code-msg").filter({ hasText: "Your app shows a new code now." }).waitFor({ timeout: 35_000 });
    await expectDigitsUnclipped(page, "login-code");

    // The old message goes as soon as the next code is typed; six digits submit it.
    const next = authenticatorCode(base32);
    expect(next).not.toBe(code);
    await page.locator("#login-code").focus();
    await page.locator("#login-code").selectText();
    await page.keyboard.type(next[0]);
    expect(await textOf(page, "login-code-msg")).toBe("");
    await page.keyboard.type(next.slice(1));

    await stepShown(page, "done");
    await expectHeadingFocused(page);
    await expectStepper(page, "done");
    expect(await textOf(page, "done-summary")).toBe(
      `Signed in as ${email} with two-factor authentication. This computer is now trusted, so the next sign-in skips the code.`,
    );
    const user = await apiUser(email);
    expect(await shownClaims(page)).toMatchObject({ sub: user.id, email, iss: "acme.com", aud: APPLICATION_ID, applicationId: APPLICATION_ID });
    await expectClaimsWrap(page);
    await expectFits(page);
    await shot(page, `${width}-authenticator-signed-in`);
    await revokeTheOnlyDevice(page, email);

    // With the device revoked the password is not enough: "Use a recovery code" instead of the app.
    await here(page).getByRole("button", { name: "Sign in again" }).click();
    await stepShown(page, "login");
    await signIn(page);
    await stepShown(page, "code");
    await here(page).getByRole("button", { name: "Use a recovery code" }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("recovery-code");
    expect(await page.locator("#login-code").isHidden()).toBe(true);
    await page.keyboard.type(recoveryCodes[0].toLowerCase());
    await expectFits(page);
    await shot(page, `${width}-authenticator-recovery-code`);
    await here(page).getByRole("button", { name: "Verify" }).click();
    await stepShown(page, "done");
    expect(await textOf(page, "done-summary")).toContain(`Signed in as ${email} with a recovery code. 9 recovery codes left.`);

    // Single use: the same recovery code is refused the second time.
    await here(page).getByRole("button", { name: "Sign in again" }).click();
    await signIn(page);
    await stepShown(page, "code");
    await here(page).getByRole("button", { name: "Use a recovery code" }).click();
    await page.keyboard.type(recoveryCodes[0]);
    await page.keyboard.press("Enter");
    await says(page, "recovery-code-msg", "That recovery code is not valid, or it was used already.");
    expect(await toneOf(page, "recovery-code-msg")).toBe("error");
    expect(await page.locator("#recovery-code").getAttribute("aria-invalid")).toBe("true");
    await page.locator("#recovery-code").fill(recoveryCodes[1]);
    expect(await textOf(page, "recovery-code-msg")).toBe("");
    await here(page).getByRole("button", { name: "Verify" }).click();
    await stepShown(page, "done");
    expect(await textOf(page, "done-summary")).toContain("8 recovery codes left.");

    expect(problems).toEqual([]);
    expect(serverErrorLines()).toEqual([]);
    await close();
  });

  it("walks the text-message tutorial with the fake Twilio: settings collapsed once saved, the inbox link, a pasted text, a 429 countdown, a wrong code, a trusted device revoked", async () => {
    // The Twilio integration is the server's: start from "not configured" whatever ran before.
    expect((await api("PUT", "/api/integration", { integrations: { twilio: { enabled: false } } })).status).toBe(200);
    const { page, problems, close } = await openDemo(options);
    const email = uniqueEmail(`demo-sms-${width}`);
    const phone = newPhone();
    await enterKeyAndCreateUser(page, { email, phone: phone.typed, method: "Text message" });

    await stepShown(page, "sms");
    await expectStepper(page, "enrol");
    await says(page, "twilio-status", "Twilio is not configured yet");
    expect(await toneOf(page, "twilio-status")).toBe("warn"); // not in the success style
    expect(await page.locator("#twilio-panel").getAttribute("open")).not.toBeNull();
    expect(await page.locator("#send-form").isHidden()).toBe(true);
    await here(page).getByLabel("Twilio URL").fill(e2e.fakeTwilioUrl);
    await expectFits(page);
    await shot(page, `${width}-sms-twilio`);
    await here(page).getByRole("button", { name: "Save Twilio settings" }).click();

    // Saved: the panel folds away, and the fake's message list is one click away.
    await says(page, "twilio-status", "Twilio settings saved");
    expect(await toneOf(page, "twilio-status")).toBe("ok");
    expect(await page.locator("#twilio-panel").getAttribute("open")).toBeNull();
    expect(await textOf(page, "twilio-badge")).toBe("Saved");
    expect(await page.locator("#fake-inbox-link").getAttribute("href")).toBe(`${e2e.fakeTwilioUrl}/_fake/messages`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("sms-phone");
    expect(await here(page).getByLabel("Mobile phone", { exact: true }).inputValue()).toBe(phone.typed);
    await expectPhoneRowFits(page);

    // An unassigned number is refused in a sentence, not the API's "The [mobilePhone] is not a phone number.";
    // the user step's placeholder is a number the server texts (NANPA's fictional 555-01XX).
    const placeholder = await page.locator("#mobile-phone").getAttribute("placeholder");
    expect(readPhone(placeholder, "US")?.valid).toBe(true);
    await here(page).getByLabel("Mobile phone", { exact: true }).fill("555-555-5555");
    await here(page).getByRole("button", { name: "Text me a code" }).click();
    await says(page, "sms-phone-msg", "No text can go to this number");
    expect(await textOf(page, "sms-phone-msg")).not.toMatch(/[[\]]/);
    expect(await toneOf(page, "sms-phone-msg")).toBe("error");
    await expectPhoneRowFits(page);
    await shot(page, `${width}-sms-refused-number`);

    await here(page).getByLabel("Mobile phone", { exact: true }).fill(phone.typed);
    await here(page).getByRole("button", { name: "Text me a code" }).click();
    await says(page, "sms-phone-msg", `Code sent to ${phone.typed}.`);
    // The whole text pasted: the field keeps its six digits and submits by itself.
    const text = `Two Factor Code: ${await onlyCodeTo(phone.e164)}`;
    await page.evaluate((value) => navigator.clipboard.writeText(value), text);
    await here(page).getByLabel("Code from the text message").focus();
    await page.keyboard.press("Control+V");
    await saveRecoveryCodes(page, { email, width: `${width}-sms` });
    expect(await apiUser(email)).toMatchObject({ twoFactorEnabled: true, twoFactorDelivery: "TextMessage" });

    // The Login API texted a code; another one right away is refused: counted down, button held.
    await signIn(page);
    await stepShown(page, "code");
    expect(await textOf(page, "code-lead")).toContain(phone.typed);
    await here(page).getByRole("button", { name: "Send a new code" }).click();
    await says(page, "resend-msg", /^Wait \d+ s before asking for another code\.$/);
    const wait = Number(/Wait (\d+) s/.exec(await textOf(page, "resend-msg"))[1]);
    expect(await toneOf(page, "resend-msg")).toBe("warn");
    expect(await page.locator("#resend").isDisabled()).toBe(true);
    expect(await textOf(page, "resend")).toMatch(/^Send again in \d+ s$/);
    await page.waitForTimeout(2_200);
    expect(Number(/Wait (\d+) s/.exec(await textOf(page, "resend-msg"))[1])).toBeLessThan(wait);
    await expectFits(page);
    await shot(page, `${width}-sms-wait`);

    const texts = await messagesTo(phone.e164);
    expect(texts).toHaveLength(2);
    const loginCode = SMS_CODE.exec(texts[1].body)[1];
    const wrong = loginCode === "000000" ? "111111" : "000000";
    await here(page).getByLabel("Verification code").fill(wrong);
    await says(page, "login-code-msg", "That code is not valid.");
    expect(await toneOf(page, "login-code-msg")).toBe("error");
    await expectDigitsUnclipped(page, "login-code");
    await page.locator("#login-code").focus();
    await page.keyboard.press("Backspace");
    expect(await textOf(page, "login-code-msg")).toBe(""); // the old error goes while typing
    await here(page).getByLabel("Trust this computer").check();
    await here(page).getByLabel("Verification code").fill(loginCode);

    await stepShown(page, "done");
    expect(await textOf(page, "done-summary")).toContain("This computer is now trusted");
    expect(await shownClaims(page)).toMatchObject({ email, aud: APPLICATION_ID });
    await expectClaimsWrap(page);
    await expectFits(page);
    await shot(page, `${width}-sms-signed-in`);

    // The trust id skips the code and sends no text; revoked, the next sign-in asks again.
    await here(page).getByRole("button", { name: "Sign in again" }).click();
    await signIn(page);
    await stepShown(page, "done");
    expect(await textOf(page, "done-summary")).toBe(`Signed in as ${email} without a code: this computer is trusted.`);
    expect(await messagesTo(phone.e164)).toHaveLength(2);
    await revokeTheOnlyDevice(page, email);

    // Twilio switched off: the login's text fails unseen (the 242 stands), so the page claims no text;
    // "Send a new code" is refused and the page says no text went and why.
    expect((await api("PUT", "/api/integration", { integrations: { twilio: { enabled: false } } })).status).toBe(200);
    await here(page).getByRole("button", { name: "Sign in again" }).click();
    await signIn(page);
    await stepShown(page, "code");
    expect(await textOf(page, "code-lead")).not.toContain("We texted");
    await here(page).getByRole("button", { name: "Send a new code" }).click();
    await says(page, "resend-msg", "Twilio is not set up on this server.");
    expect(await textOf(page, "code-lead")).toBe(`No code was texted to ${phone.typed}. Twilio is not set up on this server. Save the Twilio settings first.`);
    expect(await messagesTo(phone.e164)).toHaveLength(2);

    expect(problems).toEqual([]);
    expect(serverErrorLines()).toEqual([]);
    await close();
  });

  it("walks several methods: a phone added beside the authenticator, the sign-in's choice of method (each used), the methods listed, the app removed and added again", async () => {
    expect((await api("PUT", "/api/integration", { integrations: { twilio: twilioSettings() } })).status).toBe(200);
    const { page, problems, close } = await openDemo(options);
    const email = uniqueEmail(`demo-methods-${width}`);
    const phone = newPhone();
    await enterKeyAndCreateUser(page, { email, method: "Authenticator app" });
    await stepShown(page, "authenticator");
    const base32 = await page.locator("#secret-base32").getAttribute("data-key");
    const enrolCode = authenticatorCode(base32);
    await here(page).getByLabel("Enter the 6-digit code the app shows").fill(enrolCode);
    const recoveryCodes = await saveRecoveryCodes(page, { email, width: `${width}-methods` });

    // One method: no choice, the code step as before (signed in with a recovery code here).
    await signIn(page);
    await stepShown(page, "code");
    expect(await page.locator("#other-method").isHidden()).toBe(true);
    await here(page).getByRole("button", { name: "Use a recovery code" }).click();
    await page.keyboard.type(recoveryCodes[0]);
    await page.keyboard.press("Enter");
    await stepShown(page, "done");
    expect((await shownMethods(page)).map(([name]) => name)).toEqual(["Authenticator app"]);

    // A phone added through the 1.26+ calls: a code texted to it, entered.
    await page.locator("#add-phone-panel > summary").click();
    await here(page).getByLabel("Mobile phone", { exact: true }).fill(phone.typed);
    await expectPhoneRowFits(page, "#add-phone", "#add-phone-send");
    await here(page).getByRole("button", { name: "Text me a code" }).click();
    await says(page, "add-phone-msg", `Code sent to ${phone.typed}.`);
    const addedAt = Date.now();
    await here(page)
      .getByLabel("Code from the text message")
      .fill(await onlyCodeTo(phone.e164));
    await says(page, "methods-msg", `${phone.typed} added.`);
    const sms = (await apiUser(email)).twoFactor.methods.find((method) => method.method === "sms");
    expect(sms?.mobilePhone).toBeTruthy();
    expect((await shownMethods(page)).map(([name]) => name)).toEqual(["Authenticator app", `Text messages to ${sms.mobilePhone}`]);
    await expectFits(page);
    await shot(page, `${width}-methods-added`);

    // Two methods: the sign-in asks which one. First the app.
    const choose = async () => {
      await here(page).getByRole("button", { name: "Sign in again" }).click();
      await signIn(page);
      await stepShown(page, "choose");
      await expectHeadingFocused(page);
      await expectStepper(page, "code");
      await expectChoicesFit(page, 2);
      await expectFits(page);
    };
    await choose();
    await shot(page, `${width}-methods-choose`);
    await here(page).getByRole("button", { name: "Use my authenticator app" }).click();
    await stepShown(page, "code");
    expect(await page.locator("#resend").isHidden()).toBe(true);
    expect(await page.locator("#other-method").isVisible()).toBe(true);
    const appCode = await codeOtherThan(base32, enrolCode);
    await here(page).getByLabel("Verification code").fill(appCode);
    await stepShown(page, "done");
    expect(await shownMethods(page)).toEqual([
      ["Authenticator app", "Last used to sign in"],
      [`Text messages to ${sms.mobilePhone}`, "Not used for the last sign-in"],
    ]);

    // Then the phone: the page asks for its text (30 s after the last one to that phone, the SMS guard's spacing).
    await choose();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, addedAt + 31_000 - Date.now())));
    await here(page)
      .getByRole("button", { name: `Text a code to ${sms.mobilePhone}` })
      .click();
    await stepShown(page, "code");
    expect(await textOf(page, "code-lead")).toBe(`We texted a 6-digit code to ${sms.mobilePhone}.`);
    expect(await page.locator("#resend").isVisible()).toBe(true);
    const texts = await messagesTo(phone.e164);
    expect(texts).toHaveLength(2);
    await here(page).getByLabel("Verification code").fill(SMS_CODE.exec(texts[1].body)[1]);
    await stepShown(page, "done");
    expect(await shownMethods(page)).toEqual([
      ["Authenticator app", "Not used for the last sign-in"],
      [`Text messages to ${sms.mobilePhone}`, "Last used to sign in"],
    ]);
    await expectFits(page);
    await shot(page, `${width}-methods-signed-in`);

    // One removed with its own code: the app's, a step after the one used to sign in.
    await here(page).getByRole("button", { name: "Remove Authenticator app" }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("remove-code");
    const removeCode = await codeOtherThan(base32, appCode);
    await page.keyboard.type(removeCode);
    await says(page, "methods-msg", "Removed: Authenticator app.");
    expect((await shownMethods(page)).map(([name]) => name)).toEqual([`Text messages to ${sms.mobilePhone}`]);
    expect((await apiUser(email)).twoFactor.methods.map((method) => method.method)).toEqual(["sms"]);

    // With only the phone left, an authenticator app can be added again (its code a step after the one just used).
    await here(page).getByRole("button", { name: "Add an authenticator app" }).click();
    await stepShown(page, "authenticator");
    const added = await page.locator("#secret-base32").getAttribute("data-key");
    expect(added).not.toBe(base32);
    await codeOtherThan(base32, removeCode);
    await page.locator("#authenticator-code").fill(authenticatorCode(added));
    await stepShown(page, "done");
    await says(page, "methods-msg", "Authenticator app added.");
    expect((await shownMethods(page)).map(([name]) => name)).toEqual([`Text messages to ${sms.mobilePhone}`, "Authenticator app"]);
    expect(await page.locator("#add-app").isHidden()).toBe(true);

    expect(problems).toEqual([]);
    expect(serverErrorLines()).toEqual([]);
    await close();
  }, 180_000);

  it("walks email as the first method: the address step, the code read from the page's outbox panel, recovery codes from the enable, a sign-in by email, the method removed", async () => {
    const { page, problems, close } = await openDemo(options);
    const email = uniqueEmail(`demo-email-first-${width}`);
    await enterKeyAndCreateUser(page, { email, method: "Email" });
    await stepShown(page, "email");
    await expectStepper(page, "enrol");
    expect(await here(page).getByLabel("Email address").inputValue()).toBe(email);
    expect(await page.locator("#outbox").isHidden()).toBe(true);

    // Not an address: refused in a sentence, next to the field.
    await here(page).getByLabel("Email address").fill("not-an-address");
    await here(page).getByRole("button", { name: "Email me a code" }).click();
    await says(page, "enrol-email-msg", "This is not an email address.");
    expect(await toneOf(page, "enrol-email-msg")).toBe("error");
    await expectPhoneRowFits(page, "#enrol-email", "#enrol-email-send");

    await here(page).getByLabel("Email address").fill(email);
    await here(page).getByRole("button", { name: "Email me a code" }).click();
    await says(page, "enrol-email-msg", `We emailed a code to ${masked(email)}.`);
    const enrolCode = await codeFromOutbox(page, email);
    await expectPhoneRowFits(page, "#enrol-email", "#enrol-email-send");
    await shot(page, `${width}-email-enrol`);
    await here(page).getByLabel("Code from the email").fill(enrolCode);
    await saveRecoveryCodes(page, { email, width: `${width}-email` });
    expect((await apiUser(email)).twoFactor.methods).toMatchObject([{ method: "email", email }]);

    // The only method: the page asks for its email at once, and shows it.
    await signIn(page);
    await stepShown(page, "code");
    expect(await textOf(page, "code-lead")).toBe(`We emailed a 6-digit code to ${masked(email)}.`);
    expect(await page.locator("#resend").isVisible()).toBe(true);
    const loginCode = await codeFromOutbox(page, email);
    await here(page)
      .getByLabel("Verification code")
      .fill(loginCode === "000000" ? "111111" : "000000");
    await says(page, "login-code-msg", "That code is not valid.");
    await expectDigitsUnclipped(page, "login-code");
    await shot(page, `${width}-email-code`);
    await here(page).getByLabel("Verification code").fill(loginCode);
    await stepShown(page, "done");
    expect(await shownMethods(page)).toEqual([[`Email to ${email}`, "Last used to sign in"]]);

    // Removed with a code emailed for it: the last method, so two-factor is off.
    await here(page)
      .getByRole("button", { name: `Remove Email to ${email}` })
      .click();
    expect(await textOf(page, "remove-label")).toBe(`Code emailed to ${masked(email)}`);
    await says(page, "remove-code-msg", `We emailed a code to ${masked(email)}.`);
    await here(page)
      .getByLabel(`Code emailed to ${masked(email)}`)
      .fill(await codeFromOutbox(page, email));
    await says(page, "disable-msg", `Two-factor is off for ${email}.`);
    expect(await page.locator("#outbox").isHidden()).toBe(true);
    expect(await apiUser(email)).toMatchObject({ twoFactorEnabled: false });

    expect(problems).toEqual([]);
    expect(serverErrorLines()).toEqual([]);
    await close();
  });

  it("walks an email address added beside the authenticator: the code read from the page's outbox panel, the sign-in's choice of email, the address removed", async () => {
    const { page, problems, close } = await openDemo(options);
    const email = uniqueEmail(`demo-email-${width}`);
    await enterKeyAndCreateUser(page, { email, method: "Authenticator app" });
    await stepShown(page, "authenticator");
    const base32 = await page.locator("#secret-base32").getAttribute("data-key");
    await here(page).getByLabel("Enter the 6-digit code the app shows").fill(authenticatorCode(base32));
    const recoveryCodes = await saveRecoveryCodes(page, { email, width: `${width}-email-added` });
    await signIn(page);
    await stepShown(page, "code");
    await here(page).getByRole("button", { name: "Use a recovery code" }).click();
    await page.keyboard.type(recoveryCodes[0]);
    await page.keyboard.press("Enter");
    await stepShown(page, "done");

    // "Add an email address": the user's own, prefilled; the code from the outbox panel.
    await page.locator("#add-email-panel > summary").click();
    expect(await here(page).getByLabel("Email address").inputValue()).toBe(email);
    await expectPhoneRowFits(page, "#add-email", "#add-email-send");
    await here(page).getByRole("button", { name: "Email me a code" }).click();
    await says(page, "add-email-msg", `We emailed a code to ${masked(email)}.`);
    const addCode = await codeFromOutbox(page, email);
    await expectPhoneRowFits(page, "#add-email", "#add-email-send");
    await shot(page, `${width}-email-added-outbox`);
    await here(page).getByLabel("Code from the email").fill(addCode);
    await says(page, "methods-msg", `${email} added.`);
    expect((await shownMethods(page)).map(([name]) => name)).toEqual(["Authenticator app", `Email to ${email}`]);
    expect((await apiUser(email)).twoFactor.methods.map((method) => method.method)).toEqual(["authenticator", "email"]);
    expect(await page.locator("#outbox").isHidden()).toBe(true);

    // The sign-in offers the email beside the app, the address cut short.
    await here(page).getByRole("button", { name: "Sign in again" }).click();
    await signIn(page);
    await stepShown(page, "choose");
    await expectChoicesFit(page, 2);
    await expectFits(page);
    await shot(page, `${width}-email-choose`);
    await here(page)
      .getByRole("button", { name: `Email a code to ${masked(email)}` })
      .click();
    await stepShown(page, "code");
    expect(await textOf(page, "code-lead")).toBe(`We emailed a 6-digit code to ${masked(email)}.`);
    await here(page)
      .getByLabel("Verification code")
      .fill(await codeFromOutbox(page, email));
    await stepShown(page, "done");
    expect(await shownMethods(page)).toEqual([
      ["Authenticator app", "Not used for the last sign-in"],
      [`Email to ${email}`, "Last used to sign in"],
    ]);

    // Removed with a code emailed for it; the app stays.
    await here(page)
      .getByRole("button", { name: `Remove Email to ${email}` })
      .click();
    await says(page, "remove-code-msg", `We emailed a code to ${masked(email)}.`);
    await page.keyboard.type(await codeFromOutbox(page, email));
    await says(page, "methods-msg", `Removed: Email to ${email}.`);
    expect((await shownMethods(page)).map(([name]) => name)).toEqual(["Authenticator app"]);
    expect((await apiUser(email)).twoFactor.methods.map((method) => method.method)).toEqual(["authenticator"]);
    expect(await page.locator("#outbox").isHidden()).toBe(true);

    expect(problems).toEqual([]);
    expect(serverErrorLines()).toEqual([]);
    await close();
  });
});
