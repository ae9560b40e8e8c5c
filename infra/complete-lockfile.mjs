// Adds lock entries for other platforms' optional native packages (rollup, chDB) that npm leaves
// out when the registry it resolved against does not serve those exact versions. Without them
// `npm ci` refuses the lock as out of sync; with them it installs only this platform's package
// and skips the rest, as it always does for optional dependencies. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let added = 0;
for (const meta of Object.values(lock.packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    lock.packages[key] = { version: range.replace(/^[\^~=]/, ''), optional: true, ...(meta.dev ? { dev: true } : {}) };
    added += 1;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
