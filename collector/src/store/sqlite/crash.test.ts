import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

const child = fileURLToPath(new URL('./fixtures/commit-until-killed.mjs', import.meta.url));
const BATCH_SIZE = 7;
let folder: string;

afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** Runs the child until it has acknowledged `acknowledgements` batches, kills it with SIGKILL, and returns the last size it acknowledged. */
function commitThenKill(path: string, acknowledgements: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const process = fork(child, [path, String(BATCH_SIZE)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let acknowledged = 0;
    let count = 0;
    let buffered = '';
    let errors = '';
    process.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    process.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        acknowledged = Number(line);
        if (++count === acknowledgements) process.kill('SIGKILL');
      }
    });
    process.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acknowledged) : reject(new Error(`child exited with ${code}: ${errors}`))));
  });
}

describe('SQLite store durability', () => {
  // A process crash, not a power cut: SIGKILL leaves the OS page cache intact, so this proves that a
  // commit is written and atomic before commitBatch resolves; synchronous=FULL (tested elsewhere)
  // adds the fsync that carries the same promise through power loss.
  it('keeps every acknowledged batch and no partial one when the process is killed with SIGKILL', async () => {
    folder = mkdtempSync(join(tmpdir(), 'facto-sqlite-crash-'));
    const path = join(folder, 'facto.db');
    let acknowledged = 0;
    // Two crashes: the second run reopens the crashed file and carries on from what it finds.
    for (const round of [40, 30]) acknowledged = Math.max(acknowledged, await commitThenKill(path, round));
    expect(acknowledged).toBeGreaterThanOrEqual(70 * BATCH_SIZE);
    const store = createSqliteStore({ path });
    await store.init();
    try {
      const size = await store.treeSize();
      expect(size).toBeGreaterThanOrEqual(acknowledged);
      expect(size % BATCH_SIZE).toBe(0);
      const events = await store.queryEvents({ order: 'asc', limit: size + 10 });
      expect(events.map((event) => event.leafIndex)).toEqual(Array.from({ length: size }, (_, index) => index));
      const leaves = await store.getNodes(events.map((event) => ({ level: 0, index: event.leafIndex })));
      expect(leaves).toHaveLength(size);
    } finally {
      await store.close();
    }
  });
});
