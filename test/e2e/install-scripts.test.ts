// `npm ci` runs a dependency's install script only when package.json's allowScripts says so, and
// warns about every one it does not cover: each package the lockfile marks as having one is named.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const read = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8"));

it("allowScripts decides every install script in package-lock.json, so npm ci warns of none", () => {
  const lock = read("package-lock.json") as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
  const { allowScripts } = read("package.json") as { allowScripts: Record<string, boolean> };
  expect(withScripts.length).toBeGreaterThan(0);
  expect(Object.keys(allowScripts).sort()).toEqual([...new Set(withScripts)].sort());
  // The Worker's toolchain needs its binaries placed; sharp (miniflare's Images binding) is unused.
  expect(allowScripts).toMatchObject({ esbuild: true, workerd: true, sharp: false });
});
