/**
 * One SQLite log, one collector process: real `facto collector` processes (the built CLI) on one
 * database file. A second one started on it, by any name of the file, refuses to start (exit 3, the
 * holder's pid and PostgreSQL named) before touching the database, and the first serves on as if
 * nothing happened. Killed with SIGKILL, the holder leaves nothing that blocks a restart.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { facto, startFacto, type RunningFacto } from '../cli/facto-process.js';
import { otlpJson, TestAgent } from '../support/signed-spans.js';

let directory: string | undefined;

afterEach(() => {
  if (directory) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

function collectorArgs(db: string, dir: string): string[] {
  return ['collector', '--port', '0', '--db', db, '--log-key', join(dir, 'log-key.pem'), '--checkpoint-interval', '3600', '--log-level', 'error'];
}

async function startCollector(db: string, dir: string): Promise<{ process: RunningFacto; url: string }> {
  const started = startFacto(collectorArgs(db, dir));
  await started.waitFor(/listening on http:\/\/\S+\n/);
  return { process: started, url: /listening on (http:\/\/\S+)/.exec(started.output().stdout)![1]! };
}

async function post(url: string, spans: ReturnType<TestAgent['next']>[]): Promise<void> {
  const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: otlpJson(spans) });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { partialSuccess?: { rejectedSpans?: string } };
  expect(body.partialSuccess?.rejectedSpans ?? '0').toBe('0');
}

async function treeSize(url: string): Promise<number> {
  return ((await (await fetch(`${url}/v1/log`)).json()) as { tree_size: number }).tree_size;
}

describe('a SQLite log has one collector process', () => {
  it('refuses a second process on the same file, by another name too, while the first keeps serving', async () => {
    directory = mkdtempSync(join(tmpdir(), 'facto-sqlite-owner-'));
    const db = join(directory, 'facto.db');
    const agent = new TestAgent('agent-owner', 'chain-owner');
    const first = await startCollector(db, directory);
    await post(first.url, [agent.next(), agent.next()]);

    symlinkSync(db, join(directory, 'other-name.db'));
    for (const name of [db, join(directory, 'other-name.db')]) {
      const second = await facto(collectorArgs(name, directory));
      expect(second.code).toBe(3);
      expect(second.stdout).not.toContain('listening');
      expect(second.stderr).toContain(`another collector process is using ${name} (pid ${first.process.child.pid})`);
      expect(second.stderr).toMatch(/use PostgreSQL .* to run several collectors on one log/);
    }

    await post(first.url, [agent.next(), agent.next(), agent.next()]);
    expect(await treeSize(first.url)).toBe(5);
    first.process.child.kill('SIGTERM');
    expect((await first.process.exited).code).toBe(0);
  });

  it('lets exactly one of two processes started at the same moment run', async () => {
    directory = mkdtempSync(join(tmpdir(), 'facto-sqlite-owner-'));
    const db = join(directory, 'facto.db');
    const both = [startFacto(collectorArgs(db, directory)), startFacto(collectorArgs(db, directory))];
    const loser = await Promise.race(both.map((started) => started.exited.then(() => started)));
    const winner = both.find((started) => started !== loser)!;
    expect((await loser.exited).code).toBe(3);
    expect((await loser.exited).stderr).toContain(`(pid ${winner.child.pid})`);
    await winner.waitFor(/listening on http:\/\/\S+\n/);
    winner.child.kill('SIGTERM');
    expect((await winner.exited).code).toBe(0);
  });

  it('starts again on the file right after the holder was killed with SIGKILL', async () => {
    directory = mkdtempSync(join(tmpdir(), 'facto-sqlite-owner-'));
    const db = join(directory, 'facto.db');
    const agent = new TestAgent('agent-restart', 'chain-restart');
    const first = await startCollector(db, directory);
    await post(first.url, [agent.next(), agent.next()]);
    first.process.child.kill('SIGKILL');
    await first.process.exited;

    const second = await startCollector(db, directory);
    expect(await treeSize(second.url)).toBe(2);
    await post(second.url, [agent.next()]);
    expect(await treeSize(second.url)).toBe(3);
    // The restarted process holds the file as the first did.
    expect((await facto(collectorArgs(db, directory))).code).toBe(3);
    second.process.child.kill('SIGTERM');
    expect((await second.process.exited).code).toBe(0);
  });
});
