/**
 * The built command on a real terminal: a pseudo-terminal from util-linux `script`, so `facto` sees
 * a TTY as it does in a shell. There it colours its verdicts; with NO_COLOR set it does not, and on a
 * pipe (every other test in this folder) it never does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../support/collector.js';
import { TestAgent } from '../support/signed-spans.js';
import { FACTO_BIN, facto, logKeyOf, publicKeyFile, record } from './facto-process.js';

/** util-linux `script` makes a pseudo-terminal; other `script`s (BSD, macOS) take other flags. */
function hasUtilLinuxScript(): boolean {
  try {
    return execFileSync('script', ['--version'], { encoding: 'utf8' }).includes('util-linux');
  } catch {
    return false;
  }
}

/** Runs facto inside a pseudo-terminal; resolves to everything the terminal showed. */
function onTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, FACTO_BIN, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env, TERM: 'xterm-256color' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (screen += text));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

const COLOUR = /\u001b\[\d+m/;

let collector: TestCollector;
let directory: string;
let verifyArgs: string[];

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'facto-cli-terminal-'));
  collector = await startTestCollector();
  const agent = new TestAgent('support-bot', 'session-1');
  await record(collector, agent, 3);
  const bundle = join(directory, 'bundle.json');
  expect((await facto(['export', '--endpoint', collector.url, '--agent', 'support-bot', '-o', bundle])).code).toBe(0);
  verifyArgs = ['verify', bundle, '--key', publicKeyFile(directory, agent), '--log-key', await logKeyOf(collector)];
});
afterAll(async () => {
  await collector.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe.skipIf(!hasUtilLinuxScript())('on a terminal (needs util-linux script for a pseudo-terminal)', () => {
  it('colours the verdict', async () => {
    const { code, screen } = await onTerminal(verifyArgs, {});
    expect(code).toBe(0);
    expect(screen).toContain('\u001b[32m\u001b[1mVERIFIED');
  });

  it('uses no colour at all with NO_COLOR set', async () => {
    const { code, screen } = await onTerminal(verifyArgs, { NO_COLOR: '1' });
    expect(code).toBe(0);
    expect(screen).toContain('VERIFIED: every event');
    expect(screen).not.toMatch(COLOUR);
  });
});

describe('on a pipe', () => {
  it('uses no escape sequence, colour or progress bar', async () => {
    const result = await facto(verifyArgs);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain('\u001b');
  });
});
