/**
 * examples/tamper-demo.mjs, run as a user runs it: the untouched log verifies, and after one row of
 * its SQLite file is edited and another deleted, facto verify names both, live and offline.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('examples/tamper-demo.mjs', () => {
  it('shows facto verify naming an edited row and a deleted row, and exits 0', async () => {
    const demo = fileURLToPath(new URL('../../examples/tamper-demo.mjs', import.meta.url));
    const child = spawn(process.execPath, [demo], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, output).toBe(0);
    const edited = /edited (ft-\S+) \(leaf (\d+), seq (\d+)\)/.exec(output)!;
    const deleted = /deleted (ft-\S+) \(leaf (\d+), seq (\d+)\)/.exec(output)!;
    expect(output).toContain('VERIFIED: the log and every event in it hold.');
    expect(output).toContain(`x event ${edited[1]}, leaf ${edited[2]}`);
    expect(output).toContain(`x leaf ${deleted[2]}: missing`);
    expect(output).toContain(`events ${deleted[3]}..${deleted[3]} are missing and were not declared dropped`);
    expect(output).toMatch(new RegExp(`x event \\d+ \\(${edited[1]}, leaf ${edited[2]}, .*\\): hash: the record does not hash to the stated hash`));
    expect(output).toContain('Both changes were caught');
    // The collector restarts on its own URL, so the audit's state file is its own: no warning to explain away.
    expect(output).not.toContain('warning');
  }, 60_000);
});
