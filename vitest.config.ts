import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Three projects, all run by `vitest run` (select one with `--project workers|e2e|browser`):
// - workers: the unit and API suites inside workerd, with real KV and Durable Object bindings.
// - e2e: Node tests that drive a real `wrangler dev` of this Worker with the official
//   @fusionauth/typescript-client; test/e2e/global-setup.ts starts and stops the servers.
// - browser: test/browser/*.test.mjs walk the /demo page in Chromium against another such server.
// A passing run is quiet: console output of a test (the Worker's console.warn/error JSON lines that
// tests provoking failures expect) is printed only when that test fails (`silent: "passed-only"`;
// `--silent=false` shows it all). The servers of the e2e and browser projects log to
// test-results/<project>/*.log, which their global setup prints only when a test failed.
export default defineConfig({
  test: {
    // Read by the reporters from the root config, so it applies to every project.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                API_KEYS: "test-api-key,second-test-key",
                EXPORT_KEYS: "test-export-key",
                JWT_SIGNING_KEY: "test-jwt-signing-key-0123456789abcdef",
                // Two keys, as after a rotation: k2 seals, k1 still opens (test/services/key-rotation.test.ts).
                ENCRYPTION_KEY: "k2:QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=,k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                PASSWORD_FACTOR: "1000",
                // The suites text FusionAuth's example numbers (555-555-xxxx), which are in no assigned
                // range: the SMS guard refuses them by default (see "SMS fraud defence" in README.md).
                SMS_ALLOW_UNASSIGNED_NUMBERS: "true",
                // And Twilio's magic test numbers (+1 500 555 …), which are personal numbers, refused by default.
                SMS_REFUSED_NUMBER_TYPES: "premium-rate,shared-cost,satellite,non-geographic,toll-free",
                // Emailed codes go through the simulated `send_email` binding and are kept in the
                // local outbox (GET /api/email/outbox), where the suites read them.
                EMAIL_FROM: "two-factor@example.com",
                EMAIL_LOCAL_OUTBOX: "true",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          setupFiles: ["test/setup.ts"],
          // Real SMTP servers on 127.0.0.1 for the SMTP transport (test/email/smtp-servers.ts).
          globalSetup: ["test/email/global-setup.ts"],
          exclude: ["test/e2e/**"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/global-setup.ts"],
          // One server, one Twilio integration and per-phone SMS spacing are shared by every file:
          // the files run one after another (after the workers project) so they cannot interfere.
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The /demo page in Debian's Chromium (playwright-core), against its own `wrangler dev`.
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.mjs"],
          environment: "node",
          globalSetup: ["test/browser/global-setup.mjs"],
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
