// The workers project's global set-up: the SMTP servers of ./smtp-servers.ts, started in Node for
// the whole run; the suites inside workerd reach them over TCP sockets (`cloudflare:sockets`) and
// fetch, and read their ports and login with `inject("smtp")` (smtp-servers.ts itself is Node code
// that workerd cannot load).
import type { TestProject } from "vitest/node";
import { startSmtpServers, type SmtpFixture } from "./smtp-servers";

declare module "vitest" {
  export interface ProvidedContext {
    smtp: SmtpFixture;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { close, ...smtp } = await startSmtpServers();
  project.provide("smtp", smtp);
  return close;
}
