// After `npm install` on this network, run `node scripts/lockfile-platforms.mjs`.
// The registry here does not serve some optional platform binaries (darwin, win32, android …), so npm
// leaves them out of package-lock.json, and then `npm ci` refuses the lock as out of sync. This adds
// each missing optional platform package back with its os/cpu, so npm ci skips it on other platforms.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const OS = ["darwin", "win32", "linux", "freebsd", "android", "openbsd", "sunos", "aix"];
const CPU = ["arm64", "x64", "ia32", "arm", "wasm32", "s390x", "ppc64", "loong64", "riscv64"];

let added = 0;
for (const [where, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[`${where}/${key}`]) continue;
    const parts = name.split("/").pop().split("-");
    const os = parts.find((p) => OS.includes(p));
    const cpu = parts.find((p) => CPU.includes(p));
    if (!os && !cpu) continue; // not a platform package: leave it to npm
    lock.packages[key] = {
      version: String(range).replace(/^[\^~=]/, ""),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`lockfile: ${added} optional platform packages added\n`);
