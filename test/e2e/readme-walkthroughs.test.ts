// The documentation's walk-throughs, run as written: the ```sh block after each `<!-- walkthrough: NAME -->`
// marker in README.md and in the docs pages listed in PAGES, read from the pages themselves so they
// cannot drift from what works. Each block runs twice in a row, with bash, against the e2e project's
// `wrangler dev` and fake Twilio (test/e2e/global-setup.ts): the second run meets the first run's
// users, phone throttles and used codes, as a reader who runs a block again does. A block stops at
// its first failing step by itself (`set -euo pipefail` in a subshell) and says why on stderr, which
// the failure message shows. The blocks take URL, KEY and TWILIO from the environment when they are
// set (`URL=${URL:-http://127.0.0.1:8787}`), which is how they reach these servers; nothing in them is
// rewritten. A `# → …` line is what the commands above it print, in order; `…` stands for anything
// within one line. The SMS block picks a new phone number each second, so runs start in different
// seconds, as a reader's do.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { e2e } from "./support";

const ROOT = join(import.meta.dirname, "..", "..");
/** Where walk-throughs are, in the order a reader meets them. */
const PAGES = ["README.md", "docs/recovery-and-trust.md", "docs/events-and-webhooks.md"];
const MARKED_BLOCK = /^<!-- walkthrough: ([\w-]+) -->\n\n```sh\n([\s\S]*?)^```$/gm;
const OUTPUT = /^# → (.*)$/gm;
const run = promisify(execFile);

type Walkthrough = { name: string; page: string; script: string; outputs: RegExp[] };

function walkthroughs(): Walkthrough[] {
  return PAGES.flatMap((page) =>
    [...readFileSync(join(ROOT, page), "utf8").matchAll(MARKED_BLOCK)].map(([, name, script]) => ({
      name: name!,
      page,
      script: script!,
      outputs: [...script!.matchAll(OUTPUT)].map(([, shown]) => new RegExp(shown!.split("…").map(escapeRegExp).join(".*?"))),
    })),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Runs a block as a reader would, from the repository root, stopping at the first failing command. */
async function runBlock(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("bash", ["-e", "-o", "pipefail", "-c", script], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? String(error) };
  }
}

/** Each documented output, found in order, each after the one before. */
function expectOutputs(stdout: string, outputs: RegExp[], context: string): void {
  let from = 0;
  for (const output of outputs) {
    const match = output.exec(stdout.slice(from));
    expect(match, `${output} not printed after offset ${from}\n${context}`).not.toBeNull();
    from += match!.index + match![0].length;
  }
}

const blocks = walkthroughs();
const servers = { URL: e2e.baseUrl, KEY: e2e.apiKey, TWILIO: e2e.fakeTwilioUrl };

describe("the documentation's walk-throughs", () => {
  it("marks the authenticator, SMS, lost-phone and webhook walk-throughs, each with documented outputs", () => {
    expect(blocks.map((block) => `${block.page}: ${block.name}`)).toEqual([
      "README.md: authenticator",
      "README.md: sms",
      "docs/recovery-and-trust.md: lost-phone",
      "docs/events-and-webhooks.md: webhooks",
    ]);
    for (const block of blocks) expect(block.outputs.length, block.name).toBeGreaterThanOrEqual(3);
  });

  it("point at npm start's address and read the API key npm start wrote to .dev.vars", async () => {
    const start = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start as string;
    const address = /--ip (\S+) --port (\d+)/.exec(start);
    expect(address).not.toBeNull();
    // scripts/dev-vars.mjs writes one key; a developer may list more, comma-separated: the first is used.
    const dir = mkdtempSync(join(tmpdir(), "readme-walkthrough-"));
    try {
      writeFileSync(join(dir, ".dev.vars"), "# Generated\nAPI_KEYS=first-key,second-key\nJWT_SIGNING_KEY=not-this\n");
      for (const block of blocks) {
        const defaults = block.script
          .split("\n")
          .filter((line) => /^(URL|KEY)=/.test(line))
          .join("\n");
        const { stdout } = await run("bash", ["-e", "-c", `unset URL KEY\n${defaults}\nprintf '%s %s' "$URL" "$KEY"`], { cwd: dir });
        expect(stdout, block.name).toBe(`http://${address![1]}:${address![2]} first-key`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stop at the first step that fails and say why", async () => {
    for (const block of blocks) {
      const result = await runBlock(block.script, { ...servers, KEY: "not-an-api-key" });
      const context = `${block.name}: exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
      expect(result.code, context).not.toBe(0);
      expect(result.stderr, context).toMatch(/^stopped: (POST|PUT) http:\/\/\S+ answered 401, not 200/m);
      expect(result.stdout, context).toBe("");
    }
  });

  for (const block of blocks) {
    it(`runs the ${block.name} walk-through twice in a row on one server`, { timeout: 240_000 }, async () => {
      for (const attempt of [1, 2]) {
        const result = await runBlock(block.script, servers);
        const context = `${block.name}, run ${attempt}: exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
        expect(result.code, context).toBe(0);
        expectOutputs(result.stdout, block.outputs, context);
        await sleep(1000 - (Date.now() % 1000));
      }
    });
  }
});
