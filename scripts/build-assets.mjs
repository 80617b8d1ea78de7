// Builds the /demo page into assets/dist/demo/, the folder wrangler.toml serves as Workers static
// assets (https://developers.cloudflare.com/workers/static-assets/binding/): the browser
// TypeScript of assets/demo/ compiled by tsc with assets/tsconfig.json (a type error fails the
// build), next to copies of the page's HTML and CSS. Run by `npm start`, `npm test` and the
// browser tests' set-up before wrangler starts; `npm run build:assets` runs it alone.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../assets/demo/", import.meta.url));
const output = fileURLToPath(new URL("../assets/dist/demo/", import.meta.url));
const tsconfig = fileURLToPath(new URL("../assets/tsconfig.json", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(output, { recursive: true, force: true });
mkdirSync(output, { recursive: true });
const compiled = spawnSync(process.execPath, [tsc, "-p", tsconfig], { stdio: "inherit" });
if (compiled.status !== 0) {
  console.error("build-assets: tsc failed (see above); the /demo page was not built.");
  process.exit(compiled.status ?? 1);
}
for (const file of readdirSync(source)) {
  if (/\.(?:html|css)$/.test(file)) copyFileSync(source + file, output + file);
}
