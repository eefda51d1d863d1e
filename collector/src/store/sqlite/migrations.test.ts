import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Migration, migrate, migrations } from './migrations.js';

let database: Database.Database;

beforeEach(() => {
  database = new Database(':memory:');
});
afterEach(() => database.close());

const versions = () => database.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
const tables = () => database.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();

describe('SQLite migrations', () => {
  it('creates every table once and records each version; running again changes nothing', () => {
    migrate(database, ':memory:');
    const created = tables();
    expect(created).toEqual(expect.arrayContaining(['events', 'log_entries', 'merkle_nodes', 'log_head', 'checkpoints', 'agent_keys', 'incidents', 'unverified_spans', 'schema_migrations']));
    migrate(database, ':memory:');
    expect(tables()).toEqual(created);
    expect(versions()).toEqual(migrations.map((migration) => migration.version));
  });

  it('applies only the steps a database lacks, in order', () => {
    migrate(database, ':memory:');
    const applied: number[] = [];
    const next: Migration = { version: migrations.length + 1, description: 'add a column', apply: (target) => { applied.push(migrations.length + 1); target.exec('ALTER TABLE checkpoints ADD COLUMN cosignatures TEXT'); } };
    migrate(database, ':memory:', [...migrations, next]);
    migrate(database, ':memory:', [...migrations, next]);
    expect(applied).toEqual([migrations.length + 1]);
    expect(versions()).toEqual([...migrations.map((migration) => migration.version), next.version]);
  });

  it('rolls a failing step back completely, version row included', () => {
    migrate(database, ':memory:');
    const broken: Migration = { version: migrations.length + 1, description: 'half a step', apply: (target) => { target.exec('CREATE TABLE half_done (id INTEGER)'); throw new Error('disk on fire'); } };
    expect(() => migrate(database, ':memory:', [...migrations, broken])).toThrow(/disk on fire/);
    expect(tables()).not.toContain('half_done');
    expect(versions()).toEqual(migrations.map((migration) => migration.version));
  });

  it('refuses a list that is not numbered 1, 2, 3...', () => {
    const [first] = migrations;
    expect(() => migrate(database, ':memory:', [{ ...first!, version: 2 }])).toThrow(/numbered 1, 2, 3/);
  });
});
