#!/usr/bin/env node
/**
 * Keeps package-lock.json valid for `npm ci` everywhere. Some registries this project is built
 * against do not serve the platform binaries of other operating systems (turbo's darwin and windows
 * packages answer 404), so `npm install` leaves them out of the lockfile, and `npm ci` then refuses
 * the lockfile as out of sync with package.json. This adds lock entries for every optional platform
 * dependency that is declared but missing, with the os/cpu constraints they have upstream, so npm
 * knows to skip them on a non-matching machine (it never fetches them there). Run it after
 * `npm install`: `node scripts/lockfile-platforms.mjs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

// Upstream facts of each platform package (from its package.json "os" and "cpu").
const PLATFORMS = {
  'darwin-64': { os: ['darwin'], cpu: ['x64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'windows-64': { os: ['win32'], cpu: ['x64'] },
  'windows-arm64': { os: ['win32'], cpu: ['arm64'] },
  'linux-64': { os: ['linux'], cpu: ['x64'] },
  'linux-arm64': { os: ['linux'], cpu: ['arm64'] },
};

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let added = 0;
for (const [location, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (lock.packages[target]) continue;
    const platform = PLATFORMS[name.split('/').pop()];
    if (!platform) throw new Error(`${location} declares optional ${name}, which is missing from the lockfile and not a known platform package`);
    lock.packages[target] = { version, dev: entry.dev, license: entry.license, optional: true, ...platform };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([left], [right]) => (left === '' ? -1 : right === '' ? 1 : left < right ? -1 : left > right ? 1 : 0)));
lock.packages = sorted;
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`lockfile: ${added} missing optional platform entries added`);
