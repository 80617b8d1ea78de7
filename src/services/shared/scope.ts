// One request's scope, made once per request and handed to every use case: the Worker's bindings,
// the settings read from them, the request's time (read once) and where work the response must not
// wait for goes. (Authelia passes its middleware context the same way.)
import type { Config } from "../../domain/config";
import { readConfig } from "../../kv/config";

/** Where work that must not delay the response runs: the request's ExecutionContext. */
export type Background = Pick<ExecutionContext, "waitUntil">;

/** `country`: the client's, as Cloudflare saw it (`request.cf.country`), for the figures only. */
export type Scope = { readonly env: Env; readonly config: Config; readonly now: number; readonly background: Background; readonly country?: string };

export const newScope = (env: Env, background: Background, now = Date.now(), country?: string): Scope => ({
  env,
  config: readConfig(env),
  now,
  background,
  ...(country && { country }),
});
