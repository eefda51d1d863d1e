/**
 * The `facto` bin in a checkout nobody has built yet (`npm ci` alone: dist/ is not in git) says what
 * to run, instead of Node's module-not-found trace.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { FACTO_BIN } from './facto-process.js';

let directory: string | undefined;
afterEach(() => directory && rmSync(directory, { recursive: true, force: true }));

it('tells how to build it, with exit 70, when dist/ is missing', () => {
  // A space and a non-ASCII letter in the path: URL-escaped, they must still be recognised.
  directory = mkdtempSync(join(tmpdir(), 'facto unbuilt ü-'));
  mkdirSync(join(directory, 'bin'));
  copyFileSync(FACTO_BIN, join(directory, 'bin', 'facto.mjs'));
  const result = spawnSync(process.execPath, [join(directory, 'bin', 'facto.mjs'), '--help'], { encoding: 'utf8' });
  expect(result.status).toBe(70);
  expect(result.stderr).toBe('facto: this copy is not built yet; run "npm run build" at the repository root (npm start and npm test build it too)\n');
});
