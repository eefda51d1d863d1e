/**
 * The collector subcommand's own behaviour (one "listening" line, shutdown on SIGINT/SIGTERM or an
 * abort, exit codes) against a stand-in startCollector. The real collector end to end, through the
 * built `facto` bin, is tested in test/.
 */
import { FactoError } from '@facto/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMain } from './test-helpers/run-main.js';
import { main } from './main.js';

// `halted` stays pending: the stand-in never stops by itself unless a test says so.
const collector = vi.hoisted(() => ({ close: vi.fn(async () => undefined), start: vi.fn(), halted: new Promise<Error>(() => undefined) }));

// The real resolveConfig and configHelp; only the server is replaced.
vi.mock('@facto/collector', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@facto/collector')>()),
  startCollector: collector.start,
}));

function startRunning(argv: string[], signal?: AbortSignal) {
  let stdout = '';
  let stderr = '';
  const code = main(['collector', ...argv], { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: {}, signal });
  return { code, output: () => ({ stdout, stderr }) };
}

/**
 * Resolves once the command has printed its line, i.e. is running and waiting for a stop. The first
 * run loads the collector's sources, which on a busy machine takes longer than waitFor's default 1 s.
 */
async function listening(running: ReturnType<typeof startRunning>): Promise<void> {
  await vi.waitFor(() => expect(running.output().stdout).toContain('listening'), { timeout: 15_000 });
}

describe('facto collector', () => {
  afterEach(() => {
    collector.start.mockReset();
    collector.close.mockClear();
  });

  it('prints exactly one line when listening and closes gracefully on abort, exiting 0', async () => {
    collector.start.mockResolvedValue({ url: 'http://127.0.0.1:4318', close: collector.close, halted: collector.halted });
    const abort = new AbortController();
    const running = startRunning(['--port', '4318', '--checkpoint-interval', '2'], abort.signal);
    await listening(running);
    expect(running.output().stdout).toBe('facto collector listening on http://127.0.0.1:4318\n');
    expect(collector.start.mock.calls[0]![0]).toMatchObject({ port: 4318, checkpointInterval: 2 });
    expect(collector.close).not.toHaveBeenCalled();
    abort.abort();
    expect(await running.code).toBe(0);
    expect(collector.close).toHaveBeenCalledOnce();
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('closes on %s and removes its signal listeners', async (signal) => {
    const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
    collector.start.mockResolvedValue({ url: 'http://[::1]:4999', close: collector.close, halted: collector.halted });
    const running = startRunning(['--host', '::1', '--port', '4999']);
    await listening(running);
    process.emit(signal);
    expect(await running.code).toBe(0);
    expect(collector.close).toHaveBeenCalledOnce();
    // The collector logs the shutdown's start with this reason.
    expect(collector.close).toHaveBeenCalledWith(signal);
    expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(before);
  });

  it('stops at once on a second signal during the shutdown, logging what that leaves undone, with exit 128 + the signal number', async () => {
    const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
    const warn = vi.fn();
    // A shutdown that does not finish by itself: a request in flight that never ends, say.
    const close = vi.fn(() => new Promise<void>(() => undefined));
    collector.start.mockResolvedValue({ url: 'http://127.0.0.1:4318', close, halted: collector.halted, context: { logger: { warn }, forwarder: { depth: 7 } } });
    const exit = vi.fn();
    let stdout = '';
    const code = main(['collector'], { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true }, env: {}, exit });
    await vi.waitFor(() => expect(stdout).toContain('listening'), { timeout: 15_000 });
    process.emit('SIGTERM');
    await vi.waitFor(() => expect(close).toHaveBeenCalledWith('SIGTERM'));
    expect(warn).not.toHaveBeenCalled();
    process.emit('SIGINT');
    expect(await code).toBe(130);
    expect(exit).toHaveBeenCalledWith(130);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]).toEqual([expect.stringMatching(/^SIGINT during the shutdown: exiting now/), { signal: 'SIGINT', forwardQueueNotForwarded: 7 }]);
    expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(before);
  });

  it('exits 3 with the reason when the collector stops by itself (its log key did not sign the latest checkpoint), after closing it', async () => {
    const reason = new FactoError('unavailable', "the log key ./log.pem with origin facto.local/0a1b2c3d did not sign this database's log (its latest checkpoint, at tree size 9, is from origin \"facto.example/other\")");
    let halt!: (error: Error) => void;
    collector.start.mockResolvedValue({ url: 'http://127.0.0.1:4318', close: collector.close, halted: new Promise<Error>((resolve) => (halt = resolve)) });
    const before = process.listenerCount('SIGTERM');
    const running = startRunning(['--port', '4318']);
    await listening(running);
    halt(reason);
    expect(await running.code).toBe(3);
    expect(running.output().stderr).toBe(`facto collector: ${reason.message}\n`);
    expect(collector.close).toHaveBeenCalledOnce();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('rejects a bad flag before starting anything, naming it, with exit 2', async () => {
    const result = await runMain(['collector', '--trust', 'always']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('facto collector: --trust: expected one of strict, tofu');
    expect(collector.start).not.toHaveBeenCalled();
  });

  it('refuses an exposed host without tokens', async () => {
    const result = await runMain(['collector', '--host', '0.0.0.0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0');
  });

  it('reports a start-up failure with exit 3 and leaves no listeners behind', async () => {
    const before = process.listenerCount('SIGINT');
    collector.start.mockRejectedValue(Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:4318'), { code: 'EADDRINUSE' }));
    const result = await runMain(['collector']);
    expect(result).toMatchObject({ code: 3, stdout: '' });
    expect(result.stderr).toContain('facto collector: listen EADDRINUSE');
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('reports a file the configuration names that is missing or malformed with exit 2, as a bad flag value', async () => {
    collector.start.mockRejectedValue(new FactoError('invalid_argument', 'key registry ./keys.json: ENOENT: no such file or directory'));
    expect(await runMain(['collector'])).toMatchObject({ code: 2, stderr: expect.stringContaining('facto collector: key registry ./keys.json') });
    collector.start.mockRejectedValue(new FactoError('key_format', 'log key ./log.pem is not a usable Ed25519 private key'));
    expect((await runMain(['collector'])).code).toBe(2);
  });

  it('prints the configuration help', async () => {
    const result = await runMain(['collector', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: facto collector [options]');
    expect(result.stdout).toContain('env FACTO_CHECKPOINT_INTERVAL');
  });
});
