// What the local command-line scripts share (npm run outbox, npm run export): the first key of a
// .dev.vars setting that `npm start` wrote, and stopping with a message.
import { existsSync, readFileSync } from "node:fs";

/** The first comma-separated value of `name` in .dev.vars (API_KEYS, EXPORT_KEYS), if the file sets it. */
export function devVarsKey(name) {
  const path = new URL("../.dev.vars", import.meta.url);
  if (!existsSync(path)) return undefined;
  return new RegExp(`^${name}=([^,\\n]*)`, "m").exec(readFileSync(path, "utf8"))?.[1]?.trim() || undefined;
}

/** Prints `message` to stderr and exits with status 1. */
export function stop(message) {
  console.error(message);
  process.exit(1);
}
