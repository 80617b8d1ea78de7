// The browser project's servers: the same fake Twilio + `wrangler dev` pair as the e2e project
// (test/e2e/global-setup.ts), with the /demo page switched on and wrangler started through
// scripts/start.mjs as `npm start` starts it, so demo.test.mjs can check that its output stays free
// of error lines. Logs in test-results/browser/, printed at the end of a run only when a browser test
// failed. The page is built first (scripts/build-assets.mjs), as `npm start` and `npm test` do.
// Tests read the servers' addresses and API key with inject("e2e"), as the e2e tests do.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { startServers } from "../e2e/global-setup.ts";

export default function setup(project) {
  const built = spawnSync(process.execPath, [join(project.config.root, "scripts", "build-assets.mjs")], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("scripts/build-assets.mjs failed: the /demo page was not built");
  return startServers(project, {
    name: "browser",
    vars: { DEMO_ENABLED: "true", EMAIL_FROM: "two-factor@example.com", EMAIL_LOCAL_OUTBOX: "true" },
    startScript: true,
  });
}
