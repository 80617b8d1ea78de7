// The service's settings, read from the Worker's vars (src/domain/config.ts) once per `env`
// object: the vars do not change while an isolate lives.
import { parseConfig, type Config } from "../domain/config";

const configs = new WeakMap<Env, Config>();

export function readConfig(env: Env): Config {
  let config = configs.get(env);
  if (!config) configs.set(env, (config = parseConfig(env)));
  return config;
}
