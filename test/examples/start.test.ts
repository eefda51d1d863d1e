/**
 * `npm start` as a new user meets it: the demo runs end to end on a free port in a fresh folder and
 * prints a person's output (no JSON log lines, commands that paste into any shell); on a taken port
 * it says what happened and what to do, without a stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { FACTO_BIN } from '../cli/facto-process.js';

const run = promisify(execFile);
const script = new URL('../../examples/start.mjs', import.meta.url).pathname;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function folder(): string {
  const directory = mkdtempSync(join(tmpdir(), 'facto-start-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

const environment = (extra: Record<string, string>) => {
  const env: Record<string, string | undefined> = { ...process.env, FACTO_DEMO_EXIT: '1', ...extra };
  delete env.FACTO_LOG_LEVEL;
  return env as NodeJS.ProcessEnv;
};

describe('npm start', () => {
  it('runs the demo, verifies the bundle, catches the edit, and prints only what a person reads', async () => {
    const cwd = folder();
    const { stdout, stderr } = await run(process.execPath, [script], { cwd, env: environment({ FACTO_PORT: '0' }) });
    expect(stdout).toMatch(/VERIFIED: (\d+)\/\1 events, 1\/1 chains/);
    expect(stdout).toMatch(/REJECTED: hash: the record does not hash to the stated hash/);
    // Every suggested command quotes its URL, so a '?' survives zsh.
    const commands = stdout.split('\n').filter((line) => line.trimStart().startsWith('curl '));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) expect(command).toMatch(/^\s+curl -s 'http:\/\/127\.0\.0\.1:\d+\/[^' ]*'/);
    for (const line of [...stdout.split('\n'), ...stderr.split('\n')]) expect(line.trimStart().startsWith('{"')).toBe(false);
    // The offline check it suggests works as printed, on the files it left: the bundle and the agent's .pub.
    const suggested = /^ {2}npx facto (verify \S+ --key \S+) --log-key '([^']+)'$/m.exec(stdout);
    expect(suggested).not.toBeNull();
    const verified = await run(process.execPath, [FACTO_BIN, ...suggested![1]!.split(' '), '--log-key', suggested![2]!], { cwd });
    expect(verified.stdout).toMatch(/^VERIFIED/m);
  }, 120_000);

  it('says the port is taken and how to pick another, without a stack trace', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const failure = await run(process.execPath, [script], { cwd: folder(), env: environment({ FACTO_PORT: String(port) }) }).then(
      () => expect.fail('the demo started on a taken port'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure.code).toBe(1);
    expect(failure.stderr).toBe(
      `npm start: cannot listen on 127.0.0.1:${port}: the port is already in use (an OpenTelemetry Collector or Jaeger often listens on 4318). Pick another with --port or FACTO_PORT (0 picks a free one), or stop the other process.\nFor example: FACTO_PORT=4319 npm start\n`,
    );
  }, 60_000);
});
