/**
 * The real `facto collector` command (built CLI) refuses forwarding settings that could only lose
 * spans, before it opens a database or a port: a usage error, exit 2, one line that says why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const cli = new URL('../../packages/cli/bin/facto.mjs', import.meta.url).pathname;
const children: ChildProcess[] = [];
const directories: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Runs the collector with `args` (on port 0, in a fresh folder, with FACTO_* cleared) until it exits. */
async function collectorExit(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const directory = mkdtempSync(join(tmpdir(), 'facto-forward-config-'));
  directories.push(directory);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FACTO_')));
  const child = spawn(process.execPath, [cli, 'collector', '--port', '0', '--db', join(directory, 'facto.db'), '--log-key', join(directory, 'log-key.pem'), ...args], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const started = new Promise<never>((_resolve, reject) =>
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening on')) reject(new Error('the collector started'));
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const code = await Promise.race([exited, started]);
  return { code, stderr };
}

describe('facto collector refuses forwarding settings that would lose spans', () => {
  it('exits 2 for --unsigned forward without --forward', async () => {
    const { code, stderr } = await collectorExit(['--unsigned', 'forward']);
    expect(code).toBe(2);
    expect(stderr).toContain('--unsigned forward');
    expect(stderr).toContain('no --forward URL is set');
  });

  it('exits 2 for a forward URL with user:password@, without printing the password', async () => {
    const { code, stderr } = await collectorExit([], { FACTO_FORWARD: 'http://alice:hunter2@127.0.0.1:4318/v1/traces' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/FACTO_FORWARD: expected an http:\/\/ or https:\/\/ URL without user:password@, .* \(got "http:\/\/\*\*\*@127\.0\.0\.1:4318\/v1\/traces"\)/);
    expect(stderr).not.toContain('hunter2');
  });
});
