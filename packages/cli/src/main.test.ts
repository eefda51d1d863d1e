import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMain as run } from './test-helpers/run-main.js';

describe('facto', () => {
  it.each([['--help'], ['-h'], ['help']])('prints usage to stdout for %s', async (flag) => {
    const result = await run([flag]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: facto <command>');
    expect(result.stdout).toMatch(/collector\s+Run the collector/);
    expect(result.stdout).toMatch(/keygen\s+Generate an Ed25519 key pair/);
    expect(result.stderr).toBe('');
  });

  it.each(['collector', 'keygen', 'keys', 'tail', 'explain', 'export', 'verify'])('lists %s, which has --help', async (name) => {
    expect((await run(['--help'])).stdout).toMatch(new RegExp(`\\n  ${name} +\\S`));
    const help = await run([name, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Usage: facto ${name}`);
  });

  it('documents the exit codes', async () => {
    expect((await run(['--help'])).stdout).toContain('Exit codes: 0 ok, 1 not verified, 2 usage, 3 collector unreachable');
  });

  it('prints usage to stderr and exits 2 without a command', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: facto <command>');
    expect(result.stdout).toBe('');
  });

  it.each([['--version'], ['-V'], ['version']])('prints the package version for %s', async (flag) => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(await run([flag])).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  it.each([['frobnicate'], ['constructor'], ['__proto__']])('rejects the unknown command %s with usage on stderr and exit 2', async (name) => {
    const result = await run([name, '--x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`facto: unknown command "${name}"`);
    expect(result.stderr).toContain('Usage: facto <command>');
    expect(result.stdout).toBe('');
  });

  it('does not echo a value given with an unknown flag in place of a command', async () => {
    const result = await run(['--ingest-token=hunter2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "--ingest-token"');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('prints a command\'s help for "facto help keygen" and "facto keygen --help"', async () => {
    for (const argv of [['help', 'keygen'], ['keygen', '--help'], ['keygen', '--out', 'x', '-h']]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: facto keygen --out FILE');
    }
    expect((await run(['help', 'nope'])).code).toBe(2);
  });
});
