// ESLint flat config (ESLint 9). `npm run lint` runs ESLint, then `prettier --check .`.
// typescript-eslint's recommended rules without type information (fast: no TS program is built),
// plus the source layering of src/ (imports only point down), checked with import-x's
// no-restricted-paths on resolved file paths:
//
//   src/index.ts            wiring: may import anything
//   src/routes/*.ts         HTTP edge: src/routes/http/**, src/services/**, src/domain/** (not other routes)
//   src/routes/http/**      shared route helpers: each other, the request scope (src/services/shared/scope.ts),
//                           the access-token check (src/services/access-tokens.ts), src/crypto/** (API keys,
//                           JWTs) and src/domain/**
//   src/services/**         use cases: src/services/shared/**, src/objects/**, src/kv/**, src/sms/**,
//                           src/email/**, src/crypto/**, src/domain/** (services stay independent of each other; never routes)
//   src/objects/**          Durable Objects: src/kv/** (an object writes its KV replica), src/crypto/**, src/domain/**
//   src/kv/**               src/crypto/** and src/domain/**
//   src/sms/**              src/domain/** only
//   src/email/**            src/domain/**, and src/kv/** for the local outbox (what the simulated binding sent)
//   src/crypto/**           Web Crypto primitives: each other and src/domain/**
//   (objects, kv and sms files do not import each other, not even `import type`, except objects -> kv)
//   src/domain/**           pure: src/domain/** only; no hono, no cloudflare:workers, no Web Crypto,
//                           clock, randomness or module state (no top-level `let`, Map, Set or WeakMap)
//
// Each zone lists what a layer MAY import; everything else under src/ is off limits to it (type-only
// imports included). An import that cannot be resolved to a file is not checked by this rule.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import globals from "globals";
import tseslint from "typescript-eslint";

const root = import.meta.dirname;

/** A no-restricted-paths zone: files matching `target` may import, from src/, only `allow` (paths relative to src/). */
const layer = (target, allow, message) => ({
  target,
  from: "src",
  except: allow.map((dir) => `./${dir}`),
  message,
});

export default defineConfig(
  {
    ignores: ["node_modules/", ".wrangler/", "test-results/", "bench/results/", "bench/.build/", "bench/scratch/", "assets/dist/", "docs/", "src/env.d.ts"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  // Node ESM: scripts, the benchmarks, the Node-side test helpers (browser/e2e/fake Twilio) and config files.
  {
    files: ["**/*.mjs", "**/*.cjs", "*.js", "*.ts"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["bench/**", "scripts/**", "test/**"],
    languageOptions: { globals: { ...globals.node } },
  },
  // The demo page's browser code, and the page.evaluate() callbacks of the browser tests (they run in Chromium).
  {
    files: ["assets/**", "test/browser/**"],
    languageOptions: { globals: { ...globals.browser } },
  },
  // The Worker: layering.
  {
    files: ["src/**/*.{ts,mts,js,mjs}"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [".ts", ".mts", ".d.ts", ".js", ".mjs", ".json"],
          extensionAlias: { ".js": [".ts", ".js"], ".mjs": [".mts", ".mjs"] },
          conditionNames: ["workerd", "worker", "browser", "import", "default"],
        }),
      ],
    },
    rules: {
      "import-x/no-restricted-paths": [
        "error",
        {
          basePath: root,
          zones: [
            layer(
              ["src/routes/*.ts", "src/routes/!(http)/**"],
              ["routes/http", "services", "domain"],
              "Routes may import src/routes/http, src/services and src/domain only.",
            ),
            layer(
              ["src/routes/http/**"],
              ["routes/http", "services/shared/scope.ts", "services/access-tokens.ts", "crypto", "domain"],
              "Route helpers (src/routes/http) may import each other, the request scope (src/services/shared/scope.ts), the access-token check (src/services/access-tokens.ts), src/crypto and src/domain only.",
            ),
            layer(
              ["src/services/**"],
              ["services/shared", "objects", "kv", "sms", "email", "crypto", "domain"],
              "Services may import src/services/shared, src/objects, src/kv, src/sms, src/email, src/crypto and src/domain only (not other services, not routes).",
            ),
            layer(
              ["src/objects/**"],
              ["objects", "kv", "crypto", "domain"],
              "Durable Objects may import each other's helpers, src/kv, src/crypto and src/domain only.",
            ),
            layer(["src/kv/**"], ["kv", "crypto", "domain"], "KV repositories may import each other, src/crypto and src/domain only."),
            layer(["src/sms/**"], ["sms", "domain"], "The SMS adapters may import each other and src/domain only."),
            layer(["src/email/**"], ["email", "kv", "domain"], "The email transports may import each other, src/kv (the local outbox) and src/domain only."),
            layer(["src/crypto/**"], ["crypto", "domain"], "src/crypto may import itself and src/domain only."),
            layer(["src/domain/**"], ["domain"], "src/domain is pure: it may import src/domain only."),
          ],
        },
      ],
    },
  },
  {
    files: ["src/domain/**"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "crypto", message: "src/domain is pure: Web Crypto lives in src/crypto." },
        { name: "Date", message: "src/domain is pure: take the time (ms) as an argument." },
        { name: "fetch", message: "src/domain is pure: no I/O." },
        { name: "caches", message: "src/domain is pure: no I/O." },
      ],
      "no-restricted-properties": ["error", { object: "Math", property: "random", message: "src/domain is pure: randomness comes from src/crypto/random.ts." }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "Program > VariableDeclaration[kind='let'], Program > ExportNamedDeclaration > VariableDeclaration[kind='let']",
          message: "src/domain keeps no module state.",
        },
        {
          selector:
            ":matches(Program > VariableDeclaration, Program > ExportNamedDeclaration > VariableDeclaration) > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet)$/]",
          message: "src/domain keeps no module state (a cache belongs to the adapter that needs it).",
        },
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["hono", "hono/*", "@hono/*"], message: "src/domain is pure: no hono." },
            { group: ["cloudflare:*"], message: "src/domain is pure: no cloudflare:workers (or other Workers runtime modules)." },
          ],
        },
      ],
    },
  },
);
