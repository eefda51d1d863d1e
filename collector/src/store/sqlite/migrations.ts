/**
 * The SQLite schema as an ordered list of migrations. Each migration runs in its own IMMEDIATE
 * transaction together with the row that records it in `schema_migrations`, so a crash leaves the
 * database at one version or the next, never between, and two processes opening the same new file
 * at once apply each step exactly once. A database whose recorded version is newer than this code
 * knows is refused: an older collector must not write to a schema it does not understand.
 *
 * Storage choices (the reasons for schema 4 are in docs/design.md, "Bytes on disk"):
 * - Since schema 4, an event's bulky text (the canonical record, disclosures, salt, the span fields
 *   only ever shown) is one compressed `body` (event-body.ts gives its layout, for readers of the
 *   file); the columns hold what queries filter and sort on and what the ingest lanes read. Hashes
 *   and signatures are BLOBs, written from the contract's lowercase hex, which is checked first so
 *   nothing malformed is silently truncated. The resource and scope a span came with are stored once
 *   in `contexts` and referenced.
 * - Merkle node hashes are BLOB: they are bytes in the API, there are about two per leaf, and they
 *   are read in bulk for every proof.
 * - Enumerations (link status, incident kind, log entry kind) have no CHECK constraint: adding a
 *   value would mean rebuilding the events table, and the TypeScript contract already bounds them.
 * - Tables are STRICT so a value of the wrong type is an error rather than silently stored.
 */
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../errors.js';
import { encodeEventBody, hexToBytes } from './event-body.js';
import { FORWARD_QUEUE_SCHEMA } from './forward-queue.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly apply: (database: Database.Database) => void;
}

const initialSchema = `
CREATE TABLE events (
  leaf_index INTEGER PRIMARY KEY,
  facto_id TEXT NOT NULL UNIQUE,
  agent_id TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  prev_hash TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  dropped INTEGER NOT NULL,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  name TEXT NOT NULL,
  action_type TEXT NOT NULL,
  start_time_unix_nano TEXT NOT NULL,
  end_time_unix_nano TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  record_json TEXT NOT NULL,
  context_json TEXT NOT NULL,
  disclosures_json TEXT NOT NULL,
  salt TEXT,
  link_status TEXT NOT NULL,
  erased_by INTEGER REFERENCES log_entries (leaf_index)
) STRICT;
CREATE INDEX events_by_chain ON events (agent_id, chain_id, seq);
-- leaf_index (the rowid) is every index's hidden last column, so these two return an agent's or a
-- chain's events already in log order: a page of the newest 50 reads 50 rows instead of sorting all.
CREATE INDEX events_by_agent ON events (agent_id);
CREATE INDEX events_by_agent_chain ON events (agent_id, chain_id);
CREATE INDEX events_by_received_at ON events (received_at);
CREATE INDEX events_by_action_type ON events (action_type);

CREATE TABLE log_entries (
  leaf_index INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  entry_json TEXT NOT NULL,
  signature TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE merkle_nodes (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

-- One row: the committed tree size, the value commitBatch compares and swaps.
CREATE TABLE log_head (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
  tree_size INTEGER NOT NULL CHECK (tree_size >= 0)
) STRICT;
INSERT INTO log_head (singleton, tree_size) VALUES (0, 0);

CREATE TABLE checkpoints (
  tree_size INTEGER PRIMARY KEY,
  root_hash TEXT NOT NULL,
  note TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE agent_keys (
  agent_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  public_key TEXT NOT NULL,
  not_before INTEGER,
  not_after INTEGER,
  revoked_at INTEGER,
  source TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (agent_id, key_id)
) STRICT;

-- AUTOINCREMENT so an incident id is never reused, even after the newest rows were deleted by hand:
-- listIncidents pages with "ids below this one".
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  agent_id TEXT,
  chain_id TEXT,
  seq INTEGER,
  facto_id TEXT,
  detail TEXT NOT NULL,
  evidence_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX incidents_by_kind ON incidents (kind, id);
CREATE INDEX incidents_by_agent ON incidents (agent_id, id);

CREATE TABLE unverified_spans (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  name TEXT NOT NULL,
  span_json TEXT NOT NULL,
  received_at INTEGER NOT NULL
) STRICT;
`;


/** Schema 4's events table and its indexes (see the notes at the top). */
const compactEventsSchema = `
CREATE TABLE contexts (
  id INTEGER PRIMARY KEY,
  context_json TEXT NOT NULL UNIQUE
) STRICT;
CREATE TABLE events_compact (
  leaf_index INTEGER PRIMARY KEY,
  facto_id TEXT NOT NULL UNIQUE,
  agent_id TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash BLOB NOT NULL UNIQUE,
  prev_hash BLOB NOT NULL,
  key_id TEXT NOT NULL,
  signature BLOB NOT NULL,
  dropped INTEGER NOT NULL,
  action_type TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  link_status TEXT NOT NULL,
  erased_by INTEGER REFERENCES log_entries (leaf_index),
  context_id INTEGER NOT NULL REFERENCES contexts (id),
  body BLOB NOT NULL
) STRICT;
`;

const compactEventsIndexes = `
CREATE INDEX events_by_chain ON events (agent_id, chain_id, seq);
CREATE INDEX events_by_agent ON events (agent_id);
CREATE INDEX events_by_agent_chain ON events (agent_id, chain_id);
CREATE INDEX events_by_received_at ON events (received_at);
CREATE INDEX events_by_action_type ON events (action_type);
CREATE INDEX events_pending ON events (received_at) WHERE link_status = 'pending';
`;

interface VersionThreeEvent {
  leaf_index: number;
  facto_id: string;
  agent_id: string;
  chain_id: string;
  seq: number;
  hash: string;
  prev_hash: string;
  key_id: string;
  signature: string;
  dropped: number;
  trace_id: string;
  span_id: string;
  name: string;
  action_type: string;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  received_at: number;
  record_json: string;
  context_json: string;
  disclosures_json: string;
  salt: string | null;
  link_status: string;
  erased_by: number | null;
}

/** Rewrites every event row into schema 4's form, a page at a time (one transaction, like every migration). */
function compactEvents(database: Database.Database): void {
  database.exec(compactEventsSchema);
  database.exec('INSERT INTO contexts (context_json) SELECT DISTINCT context_json FROM events ORDER BY context_json');
  const page = database.prepare<[number], VersionThreeEvent>('SELECT * FROM events WHERE leaf_index > ? ORDER BY leaf_index LIMIT 1000');
  const contextId = database.prepare<[string], { id: number }>('SELECT id FROM contexts WHERE context_json = ?');
  const insert = database.prepare(`INSERT INTO events_compact (leaf_index, facto_id, agent_id, chain_id, seq, hash, prev_hash, key_id, signature,
      dropped, action_type, received_at, link_status, erased_by, context_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  for (let after = -1; ; ) {
    const rows = page.all(after);
    if (rows.length === 0) break;
    for (const row of rows) {
      const body = encodeEventBody({
        traceId: row.trace_id, spanId: row.span_id, name: row.name, startTimeUnixNano: row.start_time_unix_nano, endTimeUnixNano: row.end_time_unix_nano,
        recordJson: row.record_json, disclosuresJson: row.disclosures_json, salt: row.salt,
      });
      insert.run(row.leaf_index, row.facto_id, row.agent_id, row.chain_id, row.seq, hexToBytes(row.hash, 'hash'), hexToBytes(row.prev_hash, 'prev_hash'), row.key_id,
        hexToBytes(row.signature, 'signature'), row.dropped, row.action_type, row.received_at, row.link_status, row.erased_by, contextId.get(row.context_json)!.id, body);
    }
    after = rows[rows.length - 1]!.leaf_index;
  }
  database.exec('DROP TABLE events');
  database.exec('ALTER TABLE events_compact RENAME TO events');
  database.exec(compactEventsIndexes);
}

export const migrations: readonly Migration[] = [
  { version: 1, description: 'events, log entries, Merkle nodes, log head, checkpoints, keys, incidents, unverified spans', apply: (database) => database.exec(initialSchema) },
  {
    version: 2,
    description: 'partial index of events waiting for their chain predecessor (the gap monitor reads it)',
    apply: (database) => database.exec(`CREATE INDEX events_pending ON events (received_at) WHERE link_status = 'pending'`),
  },
  {
    version: 3,
    description: 'incidents are counted by fingerprint instead of stored again (count, last_seen_at)',
    apply: (database) =>
      database.exec(`
        ALTER TABLE incidents ADD COLUMN fingerprint TEXT;
        ALTER TABLE incidents ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
        ALTER TABLE incidents ADD COLUMN last_seen_at INTEGER;
        CREATE UNIQUE INDEX incidents_by_fingerprint ON incidents (fingerprint) WHERE fingerprint IS NOT NULL;`),
  },
  {
    version: 4,
    description: 'compact events: one compressed body per event, hashes and signatures as bytes, span contexts stored once',
    apply: compactEvents,
  },
  {
    version: 5,
    description: 'an unverified span is stored once: duplicates a retried request left are removed, and an index finds them',
    apply: (database) =>
      database.exec(`
        DELETE FROM unverified_spans WHERE id NOT IN (SELECT min(id) FROM unverified_spans GROUP BY trace_id, span_id, span_json);
        CREATE INDEX unverified_spans_by_span ON unverified_spans (trace_id, span_id);`),
  },
  {
    version: 6,
    description: 'the forward queue: requests to pass on downstream, stored with their spans so a crash does not lose them',
    apply: (database) => database.exec(FORWARD_QUEUE_SCHEMA),
  },
];

function assertOrdered(list: readonly Migration[]): void {
  list.forEach((migration, position) => {
    if (migration.version !== position + 1) {
      throw new Error(`SQLite migrations must be numbered 1, 2, 3... in order; found version ${migration.version} at position ${position + 1}`);
    }
  });
}

function currentVersion(database: Database.Database): number {
  const row = database.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/** Brings the schema up to the newest version in `list`. Safe to run on every start. */
export function migrate(database: Database.Database, path: string, list: readonly Migration[] = migrations): void {
  assertOrdered(list);
  database.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const known = list.length;
  const found = currentVersion(database);
  if (found > known) {
    throw new StoreUnavailableError(
      `SQLite store at ${path} has schema version ${found}, but this collector knows versions up to ${known}: it was written by a newer Facto collector; upgrade this one or use another database file`,
    );
  }
  for (const migration of list.slice(found)) {
    const step = database.transaction(() => {
      // Re-read inside the write lock: another process may have applied this step since we looked.
      if (currentVersion(database) >= migration.version) return;
      migration.apply(database);
      database
        .prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.description, Date.now());
    });
    step.immediate();
  }
}
