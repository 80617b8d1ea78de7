// `npm run reset`: deletes the local state of `wrangler dev` (.wrangler/state: the KV namespace and
// the Durable Objects), so users, login-id claims, lockouts, SMS throttles and the Twilio integration
// start from nothing. `.dev.vars` (the API key and the other secrets) stays. Refuses while something
// listens on `npm start`'s address: the running server holds that state and would keep using it.
import { existsSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const PORT = 8787;
const state = fileURLToPath(new URL("../.wrangler/state", import.meta.url));

const listening = await new Promise((resolve) => {
  const socket = connect({ host: HOST, port: PORT });
  socket.once("connect", () => {
    socket.destroy();
    resolve(true);
  });
  socket.once("error", () => resolve(false));
});
if (listening) {
  console.error(`Something is listening on ${HOST}:${PORT}, probably npm start. Stop it (Ctrl-C), then run npm run reset again.`);
  process.exit(1);
}
if (!existsSync(state)) {
  console.log(`Nothing to reset: ${state} does not exist.`);
} else {
  rmSync(state, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  console.log(`Deleted ${state}: the next npm start begins with no users and no Twilio integration.`);
}
