// The browser project's servers: the same fake Twilio + `wrangler dev` pair as the e2e project
// (test/e2e/global-setup.ts), with the /demo page switched on, logs in test-results/browser/.
// Tests read the servers' addresses and API key with inject("e2e"), as the e2e tests do.
import { startServers } from "../e2e/global-setup.ts";

export default function setup(project) {
  return startServers(project, { name: "browser", vars: { DEMO_ENABLED: "true" } });
}
