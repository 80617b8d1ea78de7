// Builds the /demo page into assets/dist/demo/, the folder wrangler.toml serves as Workers static
// assets (https://developers.cloudflare.com/workers/static-assets/binding/): the browser
// TypeScript of assets/demo/ compiled by tsc with assets/tsconfig.json (a type error fails the
// build), next to copies of the page's HTML and CSS. Run by `npm start`, `npm test` and the
// browser tests' set-up before wrangler starts; `npm run build:assets` runs it alone.
//
// A running `wrangler dev` watches assets/dist and re-reads it after each change it sees, so the
// page is built in a folder of its own and each file then renamed over the one served (rename(2)
// replaces a file in one step): assets/dist/demo/ never goes missing or holds a half-written file,
// and what it read stays what it serves. Files the new build no longer has are removed last.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../assets/demo/", import.meta.url));
const output = fileURLToPath(new URL("../assets/dist/demo/", import.meta.url));
const tsconfig = fileURLToPath(new URL("../assets/tsconfig.json", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// Next to assets/dist, outside what wrangler watches, on the same file system (rename cannot cross one).
const staging = mkdtempSync(fileURLToPath(new URL("../assets/.build-", import.meta.url)));

try {
  const compiled = spawnSync(process.execPath, [tsc, "-p", tsconfig, "--outDir", staging], { stdio: "inherit" });
  if (compiled.status !== 0) {
    console.error("build-assets: tsc failed (see above); the /demo page was not built.");
    process.exitCode = compiled.status ?? 1;
  } else {
    for (const file of readdirSync(source)) {
      if (/\.(?:html|css)$/.test(file)) copyFileSync(join(source, file), join(staging, file));
    }
    mkdirSync(output, { recursive: true });
    const built = new Set(readdirSync(staging));
    for (const file of built) renameSync(join(staging, file), join(output, file));
    for (const file of readdirSync(output)) {
      if (!built.has(file)) rmSync(join(output, file), { recursive: true, force: true });
    }
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
