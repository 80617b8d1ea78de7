// The demo page's script, served as /demo/app.js. Plain browser JavaScript in a string so the
// Worker serves it without a build step or a CDN. Kept free of backticks and "${" (it lives in a
// template literal); String.raw keeps its backslashes.
//
// The API key lives in this tab only (sessionStorage) and is sent only as the Authorization header
// to this origin; the second login step and "Send another code" go without it, as in the tutorials.
export const demoScript = String.raw`"use strict";
(() => {
  // The tutorials' example application: it becomes the token's "aud" claim.
  const APPLICATION_ID = "10000000-0000-0002-0000-000000000001";
  const KEY_STORAGE = "two-factor-demo.apiKey";
  const issuer = document.body.dataset.issuer || "acme.com";
  const $ = (id) => document.getElementById(id);
  const state = { apiKey: sessionStorage.getItem(KEY_STORAGE) || "", user: null, secret: null, method: "authenticator", twoFactorId: null, trustId: null };

  function say(text) {
    $("error").textContent = "";
    $("status").textContent = text;
  }

  function fail(text) {
    $("status").textContent = "";
    $("error").textContent = text;
  }

  /** Shows one step, marks it in the progress list and moves focus to its heading for screen readers. */
  function show(name) {
    const section = $("step-" + name);
    for (const other of document.querySelectorAll("main > section")) other.hidden = other !== section;
    for (const item of document.querySelectorAll(".progress li")) {
      if (item.dataset.step === section.dataset.step) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    }
    say("");
    section.querySelector("h2").focus();
  }

  async function api(method, path, body, withKey = true) {
    const headers = {};
    if (withKey) headers.Authorization = state.apiKey;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    } catch {
      return { status: 0, data: null, headers: new Headers() };
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    return { status: response.status, data, headers: response.headers };
  }

  /** FusionAuth's answers in words. notFound says what a 404 means where the call was made. */
  function explain(result, notFound) {
    const { status, data, headers } = result;
    if (status === 0) return "Could not reach the server. Is it still running?";
    if (status === 421) return "That code is not valid.";
    if (status === 429) return "Wait " + (headers.get("Retry-After") || "a few") + " seconds before asking for another code.";
    if (status === 409) {
      const action = data && Array.isArray(data.actions) ? data.actions[0] : null;
      const until = action && action.expiry ? new Date(action.expiry).toLocaleString() : "later";
      return "Locked until " + until + " after too many failed attempts.";
    }
    if (status === 400) return errorMessages(data) || "The server did not accept the request.";
    if (status === 401) return "The API key was not accepted.";
    if (status === 404) return notFound || "Not found.";
    if (status === 410) return "This user has expired.";
    if (status === 423) return "This user is deactivated.";
    if (status >= 500) return "The server failed (HTTP " + status + ", request id " + (headers.get("X-Request-Id") || "unknown") + ").";
    return "Unexpected answer from the server: HTTP " + status + ".";
  }

  /** The messages of a FusionAuth Errors body: field errors first, then general errors. */
  function errorMessages(data) {
    if (!data) return "";
    const messages = [];
    for (const list of Object.values(data.fieldErrors || {})) for (const error of list) messages.push(error.message);
    for (const error of data.generalErrors || []) messages.push(error.message);
    return messages.join(" ");
  }

  /** Runs a handler once at a time. Buttons stay enabled: disabling a focused button drops keyboard focus. */
  function guard(element, handler) {
    return async (event) => {
      if (event) event.preventDefault();
      if (element.getAttribute("aria-busy") === "true") return;
      element.setAttribute("aria-busy", "true");
      try {
        await handler();
      } catch (error) {
        fail("Something went wrong in this page: " + error.message);
      } finally {
        element.removeAttribute("aria-busy");
      }
    };
  }
  const onSubmit = (id, handler) => $(id).addEventListener("submit", guard($(id), handler));
  const onClick = (id, handler) => $(id).addEventListener("click", guard($(id), handler));

  onSubmit("key-form", async () => {
    state.apiKey = $("api-key").value.trim();
    // Any API-key-only call proves the key; this one also tells whether Twilio is set up.
    const result = await api("GET", "/api/integration");
    if (result.status !== 200) return fail(explain(result));
    sessionStorage.setItem(KEY_STORAGE, state.apiKey);
    show("user");
    say("API key accepted.");
  });

  onSubmit("user-form", async () => {
    const user = { email: $("email").value.trim(), password: $("password").value };
    const mobilePhone = $("mobile-phone").value.trim();
    if (mobilePhone) user.mobilePhone = mobilePhone;
    const result = await api("POST", "/api/user", { user });
    if (result.status !== 200) return fail(explain(result));
    state.user = result.data.user;
    show("method");
    say("Created " + state.user.email + " (id " + state.user.id + ").");
  });

  onSubmit("method-form", async () => {
    state.method = $("method-form").elements.method.value;
    const result = await api("GET", "/api/two-factor/secret");
    if (result.status !== 200) return fail(explain(result));
    state.secret = result.data;
    if (state.method === "sms") await showSms();
    else await showAuthenticator();
  });

  async function showAuthenticator() {
    const base32 = state.secret.secretBase32Encoded;
    // Key URI format: otpauth://totp/<issuer>:<account>?secret=...&issuer=... ("@" may stay literal).
    const label = encodeURIComponent(issuer) + ":" + encodeURIComponent(state.user.email).replace(/%40/g, "@");
    const uri = "otpauth://totp/" + label + "?secret=" + base32 + "&issuer=" + encodeURIComponent(issuer);
    $("secret-base32").textContent = base32;
    $("otpauth-uri").textContent = uri;
    $("authenticator-code").value = "";
    $("qr").removeAttribute("src");
    show("authenticator");
    // Drawn by this Worker: POST keeps the secret out of URLs and logs.
    const response = await fetch("/demo/qr.svg", { method: "POST", headers: { "Content-Type": "text/plain" }, body: uri, cache: "no-store" }).catch(() => null);
    if (!response || !response.ok) return fail("Could not draw the QR code. Enter the key by hand.");
    $("qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(await response.text());
    say("Scan the QR code, then enter the 6-digit code the app shows.");
  }

  async function showSms() {
    $("sms-phone").value = state.user.mobilePhone || "";
    $("sms-code").value = "";
    show("sms");
    const result = await api("GET", "/api/integration");
    const twilio = result.status === 200 ? result.data.integrations.twilio : null;
    const configured = Boolean(twilio && twilio.enabled);
    $("twilio-panel").open = !configured;
    say(configured ? "Twilio is configured (" + (twilio.url || "https://api.twilio.com") + ")." : "Twilio is not configured yet: save the Twilio settings first.");
  }

  onSubmit("twilio-form", async () => {
    const twilio = {
      enabled: true,
      url: $("twilio-url").value.trim(),
      accountSID: $("twilio-sid").value.trim(),
      authToken: $("twilio-token").value.trim(),
      fromPhoneNumber: $("twilio-from").value.trim(),
    };
    const result = await api("PUT", "/api/integration", { integrations: { twilio } });
    if (result.status !== 200) return fail(explain(result));
    $("sms-phone").focus();
    say("Twilio settings saved. Now send a code to the phone.");
  });

  onSubmit("send-form", async () => {
    const mobilePhone = $("sms-phone").value.trim();
    if (mobilePhone !== (state.user.mobilePhone || "")) {
      // TextMessage delivery needs the phone on the user, not only in the send request.
      const patched = await api("PATCH", "/api/user/" + encodeURIComponent(state.user.id), { user: { mobilePhone } });
      if (patched.status !== 200) return fail(explain(patched));
      state.user = patched.data.user;
    }
    const result = await api("POST", "/api/two-factor/send", { mobilePhone, secret: state.secret.secret });
    if (result.status !== 200) return fail(explain(result));
    $("sms-code").focus();
    say("Code sent to " + mobilePhone + ". Enter it below.");
  });

  onSubmit("authenticator-form", () => enable($("authenticator-code").value.trim(), "None"));
  onSubmit("sms-form", () => enable($("sms-code").value.trim(), "TextMessage"));

  async function enable(code, delivery) {
    // The secret, not its Base32 form, as the tutorials send it.
    const body = { code, secret: state.secret.secret, delivery };
    const result = await api("POST", "/api/user/two-factor/" + encodeURIComponent(state.user.id), body);
    if (result.status !== 200) return fail(explain(result, "This user no longer exists. Create a new one."));
    showLogin();
    say("Two-factor is on for " + state.user.email + ". Now log in.");
  }

  function showLogin() {
    $("login-email").value = state.user.email;
    $("login-password").value = "";
    show("login");
  }

  onSubmit("login-form", async () => {
    const body = { loginId: $("login-email").value.trim(), password: $("login-password").value, applicationId: APPLICATION_ID };
    if (state.trustId) body.twoFactorTrustId = state.trustId;
    const result = await api("POST", "/api/login", body);
    if (result.status === 200) return signedIn(result.data, "Signed in without a code: this computer is trusted.");
    if (result.status !== 242) return fail(explain(result, "Wrong email or password."));
    state.twoFactorId = result.data.twoFactorId;
    const sms = state.method === "sms";
    $("code-hint").textContent = sms
      ? "We texted a code to " + state.user.mobilePhone + "."
      : "Enter the code your authenticator app shows now.";
    $("resend").hidden = !sms;
    $("login-code").value = "";
    $("trust-computer").checked = false;
    show("code");
    say("Password accepted (242). Enter the code to finish signing in.");
  });

  const expired = "This sign-in expired, start again.";

  onSubmit("code-form", async () => {
    const body = { twoFactorId: state.twoFactorId, code: $("login-code").value.trim(), trustComputer: $("trust-computer").checked, applicationId: APPLICATION_ID };
    const result = await api("POST", "/api/two-factor/login", body, false);
    if (result.status !== 200) return fail(explain(result, expired));
    signedIn(result.data, "Signed in with two-factor authentication.");
  });

  onClick("resend", async () => {
    const result = await api("POST", "/api/two-factor/send/" + encodeURIComponent(state.twoFactorId), undefined, false);
    if (result.status !== 200) return fail(explain(result, expired));
    say("Another code is on its way to " + state.user.mobilePhone + ".");
  });

  onClick("back-to-login", () => showLogin());

  function signedIn(data, summary) {
    if (data.twoFactorTrustId) state.trustId = data.twoFactorTrustId;
    const claims = data.token ? decodeJwt(data.token) : {};
    const list = $("claims");
    list.replaceChildren();
    for (const [name, value] of Object.entries(claims)) {
      const term = document.createElement("dt");
      const detail = document.createElement("dd");
      term.textContent = name;
      detail.textContent = typeof value === "number" && (name === "iat" || name === "exp")
        ? value + " (" + new Date(value * 1000).toLocaleString() + ")"
        : String(value);
      list.append(term, detail);
    }
    const trusted = state.trustId ? " This computer is trusted: the next login skips the code." : "";
    $("done-summary").textContent = summary + trusted;
    show("done");
    say("Signed in as " + data.user.email + ".");
  }

  /** The JWT payload (Base64URL JSON). Display only: the server verifies tokens, this page does not. */
  function decodeJwt(token) {
    const payload = token.split(".")[1] || "";
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  onClick("log-in-again", () => showLogin());

  onClick("start-over", () => {
    Object.assign(state, { user: null, secret: null, twoFactorId: null, trustId: null });
    $("user-form").reset();
    show("user");
  });

  $("api-key").value = state.apiKey;
  if (state.apiKey) say("Using the API key saved in this tab. Press \"Use this key\" to go on.");
  document.querySelector(".progress li").setAttribute("aria-current", "step");
})();
`;
