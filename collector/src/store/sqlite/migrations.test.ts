import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventReader } from './event-queries.js';
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

  it('keeps one of each unverified span a retried request stored twice, and indexes them by ids (5)', () => {
    migrate(database, ':memory:', migrations.slice(0, 4));
    const insert = database.prepare('INSERT INTO unverified_spans (trace_id, span_id, name, span_json, received_at) VALUES (?, ?, ?, ?, ?)');
    const rows = [['t1', 's1', '{"a":1}', 10], ['t1', 's1', '{"a":1}', 20], ['t1', 's1', '{"a":2}', 30], ['t1', 's2', '{"a":1}', 40], ['t2', 's1', '{"a":1}', 50], ['t1', 's1', '{"a":1}', 60]] as const;
    for (const [traceId, spanId, json, at] of rows) insert.run(traceId, spanId, 'span', json, at);
    migrate(database, ':memory:');
    const kept = database.prepare('SELECT trace_id, span_id, span_json, received_at FROM unverified_spans ORDER BY id').raw().all();
    expect(kept).toEqual([['t1', 's1', '{"a":1}', 10], ['t1', 's1', '{"a":2}', 30], ['t1', 's2', '{"a":1}', 40], ['t2', 's1', '{"a":1}', 50]]);
    const plan = database.prepare("EXPLAIN QUERY PLAN SELECT 1 FROM unverified_spans WHERE trace_id = 't1' AND span_id = 's1'").all() as { detail: string }[];
    expect(plan.map((step) => step.detail).join('\n')).toMatch(/USING (COVERING )?INDEX unverified_spans_by_span/);
  });

  it('refuses a list that is not numbered 1, 2, 3...', () => {
    const [first] = migrations;
    expect(() => migrate(database, ':memory:', [{ ...first!, version: 2 }])).toThrow(/numbered 1, 2, 3/);
  });

  it('rewrites schema 3 events into compact rows that read back field for field (4: compressed body, byte hashes, shared contexts)', () => {
    migrate(database, ':memory:', migrations.slice(0, 3));
    const contextA = '{"resource":[["service.name",{"s":"agent-a"}]],"scope":{"name":"facto","version":"0.1.0"}}';
    const contextB = '{"resource":[["service.name",{"s":"agent-b"}]],"scope":{"name":"facto","version":"0.1.0"}}';
    database.prepare("INSERT INTO log_entries (leaf_index, kind, hash, entry_json, signature, created_at) VALUES (9, 'erasure', ?, '{}', ?, 1)").run('e'.repeat(64), 'f'.repeat(128));
    const insert = database.prepare(`INSERT INTO events (leaf_index, facto_id, agent_id, chain_id, seq, hash, prev_hash, key_id, signature, dropped, trace_id, span_id, name,
      action_type, start_time_unix_nano, end_time_unix_nano, received_at, record_json, context_json, disclosures_json, salt, link_status, erased_by)
      VALUES (@leafIndex, @factoId, @agentId, @chainId, @seq, @hash, @prevHash, @keyId, @signature, @dropped, @traceId, @spanId, @name,
      @actionType, @startTimeUnixNano, @endTimeUnixNano, @receivedAt, @recordJson, @contextJson, @disclosuresJson, @salt, @linkStatus, @erasedBy)`);
    const before = Array.from({ length: 2_500 }, (_, leafIndex) => ({
      leafIndex, factoId: `ft-${leafIndex}`, agentId: leafIndex % 2 ? 'agent-a' : 'agent-b', chainId: 'c', seq: leafIndex, hash: leafIndex.toString(16).padStart(64, '0'),
      prevHash: (leafIndex + 1).toString(16).padStart(64, '0'), keyId: 'k1', signature: 'ab'.repeat(64), dropped: leafIndex % 3, traceId: 't'.repeat(32), spanId: `s${leafIndex}`,
      name: `chat «${leafIndex}» 💬`, actionType: 'chat', startTimeUnixNano: '1767225600123456789', endTimeUnixNano: '1767225600987654321', receivedAt: 1_767_225_600_000 + leafIndex,
      recordJson: `{"seq":${leafIndex},"text":"naïve ✓"}`, contextJson: leafIndex % 2 ? contextA : contextB,
      disclosuresJson: leafIndex === 7 ? '[]' : `[{"key":"k","value":{"s":"v${leafIndex}"},"salt":"00"}]`, salt: leafIndex === 7 ? null : '12'.repeat(32),
      linkStatus: leafIndex === 0 ? 'genesis' : 'linked', erasedBy: leafIndex === 7 ? 9 : null,
    }));
    for (const event of before) insert.run(event);

    migrate(database, ':memory:');
    expect(versions()).toEqual(migrations.map((migration) => migration.version));
    expect(database.prepare('SELECT count(*) FROM contexts').pluck().get()).toBe(2);
    expect(database.prepare("SELECT typeof(hash) || typeof(body) FROM events LIMIT 1").pluck().get()).toBe('blobblob');
    const reader = createEventReader(database);
    const after = reader.queryEvents({ order: 'asc', limit: 10_000 });
    expect(after.map((event) => ({ ...event }))).toEqual(before);
    expect(reader.getEventsByHash([before[1_234]!.hash]).map((event) => event.factoId)).toEqual(['ft-1234']);
    expect(reader.listChains('agent-a')).toEqual([{ agentId: 'agent-a', chainId: 'c', count: 1_250, headSeq: 2_499, headHash: before[2_499]!.hash }]);
    const indexes = database.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['events_by_action_type', 'events_by_agent', 'events_by_agent_chain', 'events_by_chain', 'events_by_received_at', 'events_pending']);
  });
});
