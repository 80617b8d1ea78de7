// The demo page's stylesheet. One column that fits a 375 px phone; long values (secrets, tokens,
// URIs) wrap instead of widening the page; focus is always visible. The text-input rule sits in
// :where() so that narrower rules such as input.code can override it.
export const demoStyle = `
*, *::before, *::after { box-sizing: border-box; }
:root { --ink: #1d1d1f; --muted: #5a5a66; --accent: #1a56b0; --line: #c9ccd3; --error: #b3261e; --ok: #1b6e3a; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0 auto; padding: 1rem; max-width: 42rem;
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9;
}
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
h2 { font-size: 1.25rem; margin: 0 0 0.75rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.25rem; }
header p { color: var(--muted); margin: 0 0 1rem; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.95em; }
.wrap, .secret, .claims dd { overflow-wrap: anywhere; word-break: break-all; }
.secret { display: inline-block; padding: 0.25rem 0.5rem; background: #fff; border: 1px solid var(--line); border-radius: 4px; font-size: 1.1rem; letter-spacing: 0.05em; }
.hint, .optional { color: var(--muted); font-size: 0.9rem; }

.progress { display: flex; flex-wrap: wrap; gap: 0.25rem 0.5rem; list-style: none; margin: 0 0 1rem; padding: 0; font-size: 0.85rem; color: var(--muted); }
.progress li { padding: 0.1rem 0.5rem; border: 1px solid var(--line); border-radius: 999px; background: #fff; }
.progress li[aria-current="step"] { color: #fff; background: var(--accent); border-color: var(--accent); font-weight: 600; }

section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
form { margin: 0.75rem 0 0; }
fieldset { border: 0; margin: 0; padding: 0; }
legend { font-weight: 600; margin-bottom: 0.25rem; }
label { display: block; margin: 0.75rem 0 0.25rem; font-weight: 600; }
label.choice { display: flex; align-items: center; gap: 0.5rem; font-weight: 400; margin: 0.5rem 0; }
input:where(:not([type="radio"]):not([type="checkbox"])) {
  display: block; width: 100%; max-width: 100%; padding: 0.55rem 0.6rem;
  font: inherit; color: inherit; background: #fff; border: 1px solid #8a8f99; border-radius: 4px;
}
input[type="radio"], input[type="checkbox"] { width: 1.2rem; height: 1.2rem; margin: 0; accent-color: var(--accent); }
input.code { max-width: 10rem; font-family: ui-monospace, monospace; font-size: 1.25rem; letter-spacing: 0.2em; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 1rem; }
button {
  font: inherit; font-weight: 600; padding: 0.55rem 1rem; min-height: 2.75rem; cursor: pointer;
  color: #fff; background: var(--accent); border: 1px solid var(--accent); border-radius: 4px;
}
button.secondary { color: var(--accent); background: #fff; }
button:disabled { opacity: 0.6; cursor: progress; }
:focus-visible { outline: 3px solid #e37400; outline-offset: 2px; }
input:focus-visible { outline-offset: 0; }
[tabindex="-1"]:focus { outline: none; }

details { margin: 0.5rem 0; border: 1px solid var(--line); border-radius: 4px; padding: 0.5rem 0.75rem; }
summary { cursor: pointer; font-weight: 600; }
.qr { display: block; width: 240px; max-width: 100%; height: auto; margin: 0.5rem 0; border: 1px solid var(--line); }

.claims { display: grid; grid-template-columns: minmax(6rem, max-content) 1fr; gap: 0.25rem 0.75rem; margin: 0.5rem 0; }
.claims dt { font-weight: 600; font-family: ui-monospace, monospace; }
.claims dd { margin: 0; font-family: ui-monospace, monospace; }

.status:not(:empty), .error:not(:empty) { margin-top: 1rem; padding: 0.75rem 1rem; border-radius: 4px; border-left: 4px solid; }
.status:not(:empty) { color: var(--ok); background: #e8f4ec; border-color: var(--ok); }
.error:not(:empty) { color: var(--error); background: #fbeceb; border-color: var(--error); font-weight: 600; }
[hidden] { display: none !important; }

@media (max-width: 30rem) {
  body, section { padding: 0.75rem; }
  .claims { grid-template-columns: 1fr; gap: 0; }
  .claims dd { margin-bottom: 0.5rem; }
}
`;
