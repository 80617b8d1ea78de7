// The demo page: the two tutorials' forms ("Example QR", "Example Push Configuration") plus the
// steps around them, as one HTML document. Only one step is shown at a time; app.js moves between
// them. Everything is served by this Worker: no CDN, so it works offline.

/** The fake Twilio's defaults (test/fake-twilio), so `npm start` + the fake work without typing. */
const FAKE_TWILIO = {
  url: "http://127.0.0.1:8790",
  accountSID: "ACfa6efa6efa6efa6efa6efa6efa6efa6e",
  authToken: "fake-twilio-auth-token",
  fromPhoneNumber: "+15005550006",
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char]!);

export function demoPage(issuer: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Two-factor demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo/style.css">
<script src="/demo/app.js" defer></script>
</head>
<body data-issuer="${escapeHtml(issuer)}">
<header>
  <h1>Two-factor demo</h1>
  <p>The FusionAuth 1.25 tutorials "Two Factor with Google Authenticator" and "Two Factor with Twilio Push Notifications", against this server's API. For development only.</p>
  <noscript><p class="error">This page needs JavaScript.</p></noscript>
</header>
<nav aria-label="Progress">
  <ol class="progress">
    <li data-step="key">API key</li>
    <li data-step="user">User</li>
    <li data-step="method">Method</li>
    <li data-step="enrol">Enrol</li>
    <li data-step="login">Log in</li>
    <li data-step="code">Code</li>
    <li data-step="done">Signed in</li>
  </ol>
</nav>
<main>
<section id="step-key" data-step="key">
  <h2 tabindex="-1">Enter an API key</h2>
  <p class="hint">It stays in this tab (sessionStorage) and is only sent to this server, as the <code>Authorization</code> header. <code>npm start</code> prints one.</p>
  <form id="key-form">
    <label for="api-key">API key</label>
    <input id="api-key" type="password" autocomplete="off" spellcheck="false" required>
    <div class="actions"><button type="submit">Use this key</button></div>
  </form>
</section>

<section id="step-user" data-step="user" hidden>
  <h2 tabindex="-1">Create a test user</h2>
  <form id="user-form">
    <label for="email">Email</label>
    <input id="email" type="email" autocomplete="off" spellcheck="false" required>
    <label for="password">Password</label>
    <input id="password" type="password" autocomplete="new-password" required>
    <label for="mobile-phone">Mobile phone <span class="optional">(optional, for text messages)</span></label>
    <input id="mobile-phone" type="tel" autocomplete="off" placeholder="555-555-5555">
    <div class="actions"><button type="submit">Create user</button></div>
  </form>
</section>

<section id="step-method" data-step="method" hidden>
  <h2 tabindex="-1">Choose a second factor</h2>
  <form id="method-form">
    <fieldset>
      <legend>How will you get your codes?</legend>
      <label class="choice"><input type="radio" name="method" value="authenticator" checked> Authenticator app</label>
      <label class="choice"><input type="radio" name="method" value="sms"> Text message</label>
    </fieldset>
    <div class="actions"><button type="submit">Continue</button></div>
  </form>
</section>

<section id="step-authenticator" data-step="enrol" hidden>
  <h2 tabindex="-1">Set up your authenticator app</h2>
  <p>Scan the QR code with Google Authenticator or any app that implements RFC 6238.</p>
  <img id="qr" class="qr" alt="QR code of the otpauth URI for your authenticator app" width="240" height="240">
  <p>Can't scan it? Enter this key in the app:</p>
  <p><code id="secret-base32" class="secret"></code></p>
  <details><summary>otpauth URI</summary><p><code id="otpauth-uri" class="wrap"></code></p></details>
  <form id="authenticator-form">
    <label for="authenticator-code">Verification code from the app</label>
    <input id="authenticator-code" class="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
    <div class="actions"><button type="submit">Enable two-factor</button></div>
  </form>
</section>

<section id="step-sms" data-step="enrol" hidden>
  <h2 tabindex="-1">Set up text messages</h2>
  <details id="twilio-panel">
    <summary>Twilio settings</summary>
    <form id="twilio-form">
      <p class="hint">Saved with <code>PUT /api/integration</code>. Prefilled for the fake Twilio: <code>node test/fake-twilio/server.mjs --port 8790</code>.</p>
      <label for="twilio-url">Twilio URL</label>
      <input id="twilio-url" type="url" value="${FAKE_TWILIO.url}" spellcheck="false" required>
      <label for="twilio-sid">Account SID</label>
      <input id="twilio-sid" value="${FAKE_TWILIO.accountSID}" spellcheck="false" autocomplete="off" required>
      <label for="twilio-token">Auth token</label>
      <input id="twilio-token" type="password" value="${FAKE_TWILIO.authToken}" autocomplete="off" required>
      <label for="twilio-from">From phone number</label>
      <input id="twilio-from" type="tel" value="${FAKE_TWILIO.fromPhoneNumber}" autocomplete="off" required>
      <div class="actions"><button type="submit">Save Twilio settings</button></div>
    </form>
  </details>
  <form id="send-form">
    <label for="sms-phone">Mobile phone</label>
    <input id="sms-phone" type="tel" autocomplete="off" required>
    <div class="actions"><button type="submit">Send code to mobile phone</button></div>
  </form>
  <form id="sms-form">
    <label for="sms-code">Verification code from the text message</label>
    <input id="sms-code" class="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
    <div class="actions"><button type="submit">Enable two-factor</button></div>
  </form>
</section>

<section id="step-login" data-step="login" hidden>
  <h2 tabindex="-1">Log in</h2>
  <p class="hint">Two-factor is on. Log in with the password; the server answers 242 and asks for a code.</p>
  <form id="login-form">
    <label for="login-email">Email</label>
    <input id="login-email" type="email" autocomplete="username" spellcheck="false" required>
    <label for="login-password">Password</label>
    <input id="login-password" type="password" autocomplete="current-password" required>
    <div class="actions"><button type="submit">Log in</button></div>
  </form>
</section>

<section id="step-code" data-step="code" hidden>
  <h2 tabindex="-1">Two-factor verification</h2>
  <p id="code-hint"></p>
  <form id="code-form">
    <label for="login-code">Verification code</label>
    <input id="login-code" class="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
    <label class="choice"><input id="trust-computer" type="checkbox"> Trust this computer</label>
    <div class="actions">
      <button type="submit">Verify</button>
      <button id="resend" type="button" class="secondary" hidden>Send another code</button>
      <button id="back-to-login" type="button" class="secondary">Start again</button>
    </div>
  </form>
</section>

<section id="step-done" data-step="done" hidden>
  <h2 tabindex="-1">Signed in</h2>
  <p id="done-summary"></p>
  <h3>Access token claims</h3>
  <p class="hint">Decoded in the browser, not verified.</p>
  <dl id="claims" class="claims"></dl>
  <div class="actions">
    <button id="log-in-again" type="button">Log in again</button>
    <button id="start-over" type="button" class="secondary">New user</button>
  </div>
</section>

<div id="status" class="status" role="status" aria-live="polite"></div>
<div id="error" class="error" role="alert" aria-live="assertive"></div>
</main>
</body>
</html>
`;
}
