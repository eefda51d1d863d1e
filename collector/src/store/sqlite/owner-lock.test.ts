/**
 * The owner lock on a SQLite log: one holder per file across processes and within one, every name
 * of the file (./x, x, a symlink) one lock, released by the OS when the holder dies (kill -9), and
 * the database itself still open to other readers and writers (the sqlite3 shell, backups).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../errors.js';
import type { Store } from '../types.js';
import { acquireOwnerLock, ownerLockPath, type OwnerLock } from './owner-lock.js';
import { createSqliteStore } from './sqlite-store.js';

const holder = fileURLToPath(new URL('./fixtures/hold-owner-lock.mjs', import.meta.url));
let folder: string;
const locks: OwnerLock[] = [];
const stores: Store[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const lock of locks.splice(0)) lock.release();
  for (const store of stores.splice(0)) await store.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function freshFolder(): string {
  folder = mkdtempSync(join(tmpdir(), 'facto-owner-lock-'));
  return folder;
}

function acquire(path: string): OwnerLock {
  const lock = acquireOwnerLock(path);
  locks.push(lock);
  return lock;
}

function refusal(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

/** A child process holding the lock of `path` (with `foreignPid` in its header if given); resolves once it holds it. */
async function holdInChild(path: string, foreignPid?: number): Promise<ChildProcess> {
  const child = fork(holder, foreignPid === undefined ? [path] : [path, String(foreignPid)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.push(child);
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}: ${errors}`)));
  });
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('SQLite owner lock', () => {
  it('refuses a second holder in this process, naming it, and is free again once released', () => {
    const path = join(freshFolder(), 'facto.db');
    const first = acquire(path);
    expect(first.path).toBe(`${ownerLockPath(path)}`);
    const error = refusal(() => acquireOwnerLock(path));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain(`another collector in this process (pid ${process.pid}) is using ${path}`);
    expect(error.message).toMatch(/use PostgreSQL .*docs\/scale-out\.md/);
    first.release();
    first.release();
    acquire(path).release();
  });

  it('gives every name of one file the same lock: ./x, x, an absolute path and a symlink', () => {
    const base = freshFolder();
    const path = join(base, 'facto.db');
    acquire(path);
    symlinkSync(path, join(base, 'link.db'));
    const cwd = process.cwd();
    try {
      process.chdir(base);
      for (const name of ['facto.db', './facto.db', 'link.db', relative(base, join(base, 'sub', '..', 'facto.db'))]) {
        expect(refusal(() => acquireOwnerLock(name))).toBeInstanceOf(StoreUnavailableError);
      }
    } finally {
      process.chdir(cwd);
    }
    expect(ownerLockPath(join(base, 'link.db'))).toBe(ownerLockPath(path));
    new Database(path).close();
    expect(ownerLockPath(join(base, 'link.db'))).toBe(ownerLockPath(path));
  });

  it('refuses while another process holds it, naming its pid, and is free the moment that process is killed with SIGKILL', async () => {
    const path = join(freshFolder(), 'data', 'facto.db');
    const child = await holdInChild(path);
    const error = refusal(() => acquireOwnerLock(path));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain(`another collector process is using ${path} (pid ${child.pid})`);
    expect(error.message).toContain(`${ownerLockPath(path)}`);
    await killHard(child);
    acquire(path);
  });

  it('says the holder may be on another machine when the pid it wrote runs nowhere here', async () => {
    const path = join(freshFolder(), 'facto.db');
    // Pids are below 2^22 on Linux and 99999 on macOS; this one cannot be running.
    await holdInChild(path, 2_000_000_000);
    const error = refusal(() => acquireOwnerLock(path));
    expect(error.message).toMatch(/pid 2000000000, which is not running on this machine.*network file system/);
  });

  it('lets a second store on the file be refused at init while the first keeps working, and opens after close', async () => {
    const path = join(freshFolder(), 'facto.db');
    const first = createSqliteStore({ path });
    stores.push(first);
    await first.init();
    const second = createSqliteStore({ path });
    await expect(second.init()).rejects.toThrow(/another collector in this process/);
    expect(await first.treeSize()).toBe(0);
    await first.close();
    stores.push(second);
    await second.init();
    expect(await second.treeSize()).toBe(0);
  });

  it('leaves the database itself open to other connections, readers and writers, while held', async () => {
    const path = join(freshFolder(), 'facto.db');
    const store = createSqliteStore({ path });
    stores.push(store);
    await store.init();
    const other = new Database(path, { timeout: 1_000 });
    try {
      expect(other.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
      other.exec('BEGIN IMMEDIATE');
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
  });

  it('takes no lock for an in-memory database', async () => {
    for (const store of [createSqliteStore({ path: ':memory:' }), createSqliteStore({ path: ':memory:' })]) {
      stores.push(store);
      await store.init();
    }
  });
});
