/**
 * The real `facto collector` command (built CLI) creating the folders for --db and --log-key: a
 * folder it cannot make is named with the system's own reason. Node's recursive mkdir said ENOENT
 * under a read-only mount and never returned under /proc (the start hung, deaf to SIGTERM).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refusedStart, startFacto } from '../cli/facto-process.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((cleanup) => cleanup()));

function folder(): string {
  const directory = mkdtempSync(join(tmpdir(), 'facto-start-folders-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** Starts the collector and waits for its exit; one that starts listening instead is a failure. */
const refusedCollector = (args: string[]) => refusedStart(startFacto(['collector', '--port', '0', ...args]));

// /proc and mount(8) as Linux has them; elsewhere the same paths mean other things.
describe.skipIf(process.platform !== 'linux')('facto collector: folders it cannot create', () => {
  it('exits with ENOENT naming the folder under /proc, where mkdir fails though the parent exists', async () => {
    const directory = folder();
    const result = await refusedCollector(['--db', '/proc/facto-no-such-folder/facto.db', '--log-key', join(directory, 'log-key.pem')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("ENOENT: no such file or directory, mkdir '/proc/facto-no-such-folder'");
  });

  it('exits naming the log key it cannot create under /proc', async () => {
    const directory = folder();
    const result = await refusedCollector(['--db', join(directory, 'facto.db'), '--log-key', '/proc/facto-no-such-folder/log-key.pem']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('cannot create the log key /proc/facto-no-such-folder/log-key.pem: ENOENT');
  });

  it('says EROFS for a folder under a read-only mount, not ENOENT', async (context) => {
    const mountPoint = folder();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      // Mounting needs root (CI's runner is); elsewhere there is no read-only mount to point at.
      context.skip();
    }
    cleanups.push(() => execFileSync('umount', [mountPoint]));
    const directory = folder();
    const result = await refusedCollector(['--db', join(mountPoint, 'data', 'facto.db'), '--log-key', join(directory, 'log-key.pem')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`EROFS: read-only file system, mkdir '${join(mountPoint, 'data')}'`);
    expect(result.stderr).not.toContain('ENOENT');
  });
});
