import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogBuilder } from '../conformance.js';
import { StoreUnavailableError } from '../errors.js';
import { migrations } from './migrations.js';
import { createSqliteStore } from './sqlite-store.js';

let folder: string;
let path: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'facto-sqlite-damaged-'));
  path = join(folder, 'facto.db');
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

async function initError(): Promise<Error> {
  const store = createSqliteStore({ path });
  try {
    await store.init();
  } catch (error) {
    return error as Error;
  } finally {
    await store.close();
  }
  return expect.fail('init() accepted a damaged database');
}

async function fillStore(events: number): Promise<void> {
  const store = createSqliteStore({ path });
  await store.init();
  const log = new LogBuilder();
  for (let start = 0; start < events; start += 100) await log.commit(store, { events: Array.from({ length: 100 }, () => log.event()) });
  await store.close();
}

describe('SQLite store over a damaged or foreign file', () => {
  it('refuses a file that is not a SQLite database, saying so', async () => {
    writeFileSync(path, 'these are not the pages you are looking for\n'.repeat(200));
    const error = await initError();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/not a valid SQLite database or is damaged/);
    expect(error.message).toContain(path);
  });

  it('refuses a truncated database at open, not at the first proof', async () => {
    await fillStore(1_000);
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const error = await initError();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/damaged/);
  });

  it('refuses a database whose log head disagrees with its leaves', async () => {
    await fillStore(100);
    const raw = new Database(path);
    raw.prepare('UPDATE log_head SET tree_size = 150').run();
    raw.close();
    const error = await initError();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toMatch(/log head says tree size 150, but the stored leaves end at index 99/);
  });

  it('refuses a database written by a newer schema version, naming both versions', async () => {
    await fillStore(0);
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_migrations (version, description, applied_at) VALUES (99, 'from the future', 0)").run();
    raw.close();
    const error = await initError();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.message).toContain(`schema version 99, but this collector knows versions up to ${migrations.length}`);
  });
});
