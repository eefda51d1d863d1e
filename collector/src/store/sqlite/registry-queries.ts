/**
 * The records kept beside the log: the agent key registry, security incidents and unsigned spans
 * stored as unverified. Keys are also written by commitBatch (TOFU registrations travel with the span
 * that introduced them); putKey and revokeKey serve the admin path and the --keys file.
 */
import { FactoError } from '@facto/core';
import type Database from 'better-sqlite3';
import type { AgentKey, Incident, IncidentKind } from '../types.js';
import { agentKeyFromRow, type AgentKeyRow, incidentFromRow, type IncidentRow, type KeyParameters, keyToParameters, UPSERT_KEY_SQL } from './rows.js';

export interface IncidentQuery {
  readonly kind?: IncidentKind;
  readonly agentId?: string;
  readonly limit: number;
  readonly afterId?: number;
}

export interface RegistryReader {
  listKeys(agentId?: string): AgentKey[];
  putKey(key: AgentKey): void;
  revokeKey(agentId: string, keyId: string, revokedAt: number): boolean;
  listIncidents(query: IncidentQuery): Incident[];
  countIncidents(): Record<string, number>;
  countUnverified(): number;
}

const KEY_COLUMNS = 'agent_id, key_id, public_key, not_before, not_after, revoked_at, source, created_at';
const INCIDENT_COLUMNS = 'id, kind, agent_id, chain_id, seq, facto_id, detail, evidence_json, created_at, count, last_seen_at';

export function createRegistryReader(database: Database.Database): RegistryReader {
  const allKeys = database.prepare<[], AgentKeyRow>(`SELECT ${KEY_COLUMNS} FROM agent_keys ORDER BY agent_id, key_id`);
  const agentKeys = database.prepare<[string], AgentKeyRow>(`SELECT ${KEY_COLUMNS} FROM agent_keys WHERE agent_id = ? ORDER BY key_id`);
  const upsertKey = database.prepare<KeyParameters>(UPSERT_KEY_SQL);
  // A key revoked twice keeps the earlier time: revocation only ever shortens a key's validity.
  const revoke = database.prepare<[number, number, string, string]>(
    'UPDATE agent_keys SET revoked_at = min(coalesce(revoked_at, ?), ?) WHERE agent_id = ? AND key_id = ?',
  );
  const incidentsByKind = database.prepare<[], { kind: string; count: number }>('SELECT kind, sum(count) AS count FROM incidents GROUP BY kind ORDER BY kind');
  const unverifiedCount = database.prepare<[], { count: number }>('SELECT count(*) AS count FROM unverified_spans');
  const incidentStatements = new Map<string, Database.Statement<unknown[], IncidentRow>>();

  function listIncidents(query: IncidentQuery): Incident[] {
    if (typeof query.limit !== 'number' || !Number.isSafeInteger(query.limit) || query.limit < 0) {
      throw new FactoError('invalid_argument', `Incident query limit must be a non-negative integer, got ${String(query.limit)}`);
    }
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    if (query.kind !== undefined) {
      conditions.push('kind = ?');
      parameters.push(query.kind);
    }
    if (query.agentId !== undefined) {
      conditions.push('agent_id = ?');
      parameters.push(query.agentId);
    }
    // Newest first, so the cursor continues with smaller ids.
    if (query.afterId !== undefined) {
      conditions.push('id < ?');
      parameters.push(query.afterId);
    }
    parameters.push(query.limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const sql = `SELECT ${INCIDENT_COLUMNS} FROM incidents ${where} ORDER BY id DESC LIMIT ?`;
    let statement = incidentStatements.get(sql);
    if (statement === undefined) {
      statement = database.prepare<unknown[], IncidentRow>(sql);
      incidentStatements.set(sql, statement);
    }
    return statement.all(...parameters).map(incidentFromRow);
  }

  return {
    listKeys: (agentId) => (agentId === undefined ? allKeys.all() : agentKeys.all(agentId)).map(agentKeyFromRow),
    putKey: (key) => {
      upsertKey.run(...keyToParameters(key));
    },
    revokeKey: (agentId, keyId, revokedAt) => revoke.run(revokedAt, revokedAt, agentId, keyId).changes > 0,
    listIncidents,
    countIncidents: () => Object.fromEntries(incidentsByKind.all().map((row) => [row.kind, row.count])),
    countUnverified: () => unverifiedCount.get()?.count ?? 0,
  };
}
