/**
 * The PostgreSQL schema as an ordered list of migrations. Every collector process runs `migrate` at
 * start; it takes a transaction-scoped advisory lock first, so when several processes start against a
 * new database at once each step is applied exactly once, and the steps and their rows in
 * `schema_migrations` commit together (DDL is transactional here). A database whose recorded version
 * is newer than this code knows is refused: an older collector must not write to a schema it does
 * not understand.
 *
 * Storage choices (the API's needs, not SQLite's): record hashes, previous hashes and signatures are
 * bytea, because the hash is the unique key every ingest looks up (32 bytes instead of 64 characters
 * halves that index) and they are bytes in the record; the canonical record and every JSON column are
 * text, never jsonb, which would not keep the exact bytes that were hashed. Identifiers (facto_id,
 * agent, chain, key id) and the small key registry stay text, as the API carries them.
 */
import { FORWARD_QUEUE_SCHEMA, FORWARD_QUEUE_SIZE_SCHEMA } from './forward-queue-schema.js';
import type { PoolClient } from 'pg';
import { StoreUnavailableError } from '../errors.js';
import { MIGRATION_LOCK } from './lock-keys.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

const initialSchema = `
CREATE TABLE log_entries (
  leaf_index bigint PRIMARY KEY,
  kind text NOT NULL,
  hash bytea NOT NULL UNIQUE,
  entry_json text NOT NULL,
  signature bytea NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE events (
  leaf_index bigint PRIMARY KEY,
  facto_id text NOT NULL UNIQUE,
  agent_id text NOT NULL,
  chain_id text NOT NULL,
  seq bigint NOT NULL,
  hash bytea NOT NULL UNIQUE,
  prev_hash bytea NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL,
  dropped bigint NOT NULL,
  trace_id text NOT NULL,
  span_id text NOT NULL,
  name text NOT NULL,
  action_type text NOT NULL,
  start_time_unix_nano text NOT NULL,
  end_time_unix_nano text NOT NULL,
  received_at bigint NOT NULL,
  record_json text NOT NULL,
  context_json text NOT NULL,
  disclosures_json text NOT NULL,
  salt text,
  link_status text NOT NULL,
  erased_by bigint REFERENCES log_entries (leaf_index)
);
CREATE INDEX events_by_chain ON events (agent_id, chain_id, seq);
-- leaf_index last, so an agent's or a chain's newest page is read in log order from the index.
CREATE INDEX events_by_agent ON events (agent_id, leaf_index);
CREATE INDEX events_by_agent_chain ON events (agent_id, chain_id, leaf_index);
CREATE INDEX events_by_received_at ON events (received_at);
CREATE INDEX events_by_action_type ON events (action_type, leaf_index);
CREATE INDEX events_pending ON events (received_at) WHERE link_status = 'pending';

CREATE TABLE merkle_nodes (
  level smallint NOT NULL,
  idx bigint NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (level, idx)
);

-- One row: the committed tree size (the value commitBatch compares and swaps) and the version of the
-- key registry, which other collector processes compare to know when to reload their copy.
CREATE TABLE log_head (
  singleton integer PRIMARY KEY CHECK (singleton = 0),
  tree_size bigint NOT NULL CHECK (tree_size >= 0),
  keys_version bigint NOT NULL
);
INSERT INTO log_head (singleton, tree_size, keys_version) VALUES (0, 0, 0);

CREATE TABLE checkpoints (
  tree_size bigint PRIMARY KEY,
  root_hash text NOT NULL,
  note text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE agent_keys (
  agent_id text NOT NULL,
  key_id text NOT NULL,
  public_key text NOT NULL,
  not_before bigint,
  not_after bigint,
  revoked_at bigint,
  source text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (agent_id, key_id)
);

-- An identity never hands out an id twice, so "ids below this one" pages stay stable.
CREATE TABLE incidents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  agent_id text,
  chain_id text,
  seq bigint,
  facto_id text,
  detail text NOT NULL,
  evidence_json text NOT NULL,
  created_at bigint NOT NULL,
  fingerprint text UNIQUE,
  count bigint NOT NULL DEFAULT 1 CHECK (count >= 1),
  last_seen_at bigint NOT NULL
);
CREATE INDEX incidents_by_kind ON incidents (kind, id);
CREATE INDEX incidents_by_agent ON incidents (agent_id, id);

CREATE TABLE unverified_spans (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trace_id text NOT NULL,
  span_id text NOT NULL,
  name text NOT NULL,
  span_json text NOT NULL,
  received_at bigint NOT NULL
);
`;

/**
 * Version 2: text is stored escaped (text-escape.ts), so U+0000 can be kept. A string without U+0000
 * or U+0001 is its own escape, and U+0000 could not be stored before, so the only rows to rewrite are
 * those holding U+0001: each becomes U+0001 U+0002. Every text column is rewritten except the JSON
 * ones, whose writers (RFC 8785 and JSON.stringify) put every control character as a \u escape. One
 * pass over each table, in the migration's transaction.
 *
 * PostgreSQL checks a unique constraint row by row during an UPDATE, so rewriting ('a\u0001', 'k')
 * before ('a\u0001\u0002', 'k') would collide with the row not yet rewritten, and the migration,
 * retried at every start, would never pass. agent_keys' primary key, whose ids version 1 took from
 * any span (trust on first use), is therefore dropped for the rewrite and added back after it; the
 * escape is injective, so that cannot fail. The other unique text columns hold checked forms that
 * cannot contain U+0001 (facto_id is `ft-` and a UUID, an incident's fingerprint is hex).
 */
export const TEXT_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  log_entries: ['kind'],
  events: ['facto_id', 'agent_id', 'chain_id', 'key_id', 'trace_id', 'span_id', 'name', 'action_type', 'start_time_unix_nano', 'end_time_unix_nano', 'salt', 'link_status'],
  checkpoints: ['root_hash', 'note'],
  agent_keys: ['agent_id', 'key_id', 'public_key', 'source'],
  incidents: ['kind', 'agent_id', 'chain_id', 'facto_id', 'detail', 'fingerprint'],
  unverified_spans: ['trace_id', 'span_id', 'name'],
};
const escapeStoredText = [
  'ALTER TABLE agent_keys DROP CONSTRAINT agent_keys_pkey;',
  ...Object.entries(TEXT_COLUMNS).map(([table, columns]) => `UPDATE ${table} SET ${columns.map((column) => `${column} = replace(${column}, chr(1), chr(1) || chr(2))`).join(', ')}
  WHERE ${columns.map((column) => `strpos(${column}, chr(1)) > 0`).join(' OR ')};`),
  'ALTER TABLE agent_keys ADD PRIMARY KEY (agent_id, key_id);',
].join('\n');

export const migrations: readonly Migration[] = [
  { version: 1, description: 'events, log entries, Merkle nodes, log head with key registry version, checkpoints, keys, incidents, unverified spans', sql: initialSchema },
  { version: 2, description: 'text stored escaped so that U+0000 can be kept: U+0001 already stored becomes U+0001 U+0002', sql: escapeStoredText },
  {
    version: 3,
    description: 'an unverified span is stored once: duplicates a retried request left are removed, and an index finds them',
    sql: `DELETE FROM unverified_spans WHERE id NOT IN (SELECT min(id) FROM unverified_spans GROUP BY trace_id, span_id, span_json);
CREATE INDEX unverified_spans_by_span ON unverified_spans (trace_id, span_id);`,
  },
  { version: 4, description: 'the forward queue: requests to pass on downstream, stored with their spans so a crash does not lose them', sql: FORWARD_QUEUE_SCHEMA },
  {
    version: 5,
    description: "the forward queue's size in one row kept by triggers, so that every process sharing the database admits against the real queue; each addition notifies the forwarder",
    sql: FORWARD_QUEUE_SIZE_SCHEMA,
  },
];

/** The schema's version, as a scalar subquery a write statement can return alongside its own columns. */
export const SCHEMA_VERSION = '(SELECT max(version) FROM schema_migrations)';

/**
 * Refuses a write once a newer collector has migrated the schema past what this code knows. The
 * version is checked at start; this catches a process still running during a rolling upgrade, whose
 * rows would no longer mean what the newer schema says (version 2, for one, stores text escaped).
 */
export function refuseNewerSchema(found: number | null | undefined): void {
  if (typeof found === 'number' && found > migrations.length) {
    throw new StoreUnavailableError(
      `the PostgreSQL schema is at version ${found}, migrated by a newer Facto collector while this one (which knows versions up to ${migrations.length}) was running; this process no longer writes: stop it and run the newer version`,
    );
  }
}

/** Brings the schema up to the newest version in `list`, in one transaction. Safe to run on every start, from every process. */
export async function migrate(client: PoolClient, target: string, list: readonly Migration[] = migrations): Promise<void> {
  list.forEach((migration, position) => {
    if (migration.version !== position + 1) throw new Error(`PostgreSQL migrations must be numbered 1, 2, 3... in order; found version ${migration.version} at position ${position + 1}`);
  });
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at bigint NOT NULL
    )`);
    const found = Number((await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations')).rows[0]?.version ?? 0);
    if (found > list.length) {
      throw new StoreUnavailableError(
        `PostgreSQL store at ${target} has schema version ${found}, but this collector knows versions up to ${list.length}: it was written by a newer Facto collector; upgrade this one or use another database`,
      );
    }
    for (const migration of list.slice(found)) {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.description, Date.now()]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
