/**
 * Reads of stored events. Lists of values (hashes, ids, seqs) travel as one array parameter read
 * with `= ANY($n)`, so one prepared statement serves any list length. queryEvents builds its SQL from
 * the filters present (so each shape can use its index); pg prepares each distinct text once per
 * connection under a stable name.
 */
import { FactoError } from '@facto/core';
import type pg from 'pg';
import { chainRangeBounds } from '../chain-range.js';
import type { ChainLink, ChainRangeQuery, ChainSummary, EventQuery, StoredEvent } from '../types.js';
import { EVENT_COLUMNS, eventFromRow, type EventRow, lookupBytes } from './rows.js';

type Queryable = Pick<pg.Pool, 'query'>;

interface ChainSummaryRow {
  agent_id: string;
  chain_id: string;
  count: number;
  head_seq: number;
  head_hash: Buffer;
}

// The head of a forked chain has several events at the highest seq; the first one logged is reported.
const chainSummarySql = (where: string) => `
  SELECT chains.agent_id, chains.chain_id, chains.count, chains.head_seq,
    (SELECT head.hash FROM events AS head
      WHERE head.agent_id = chains.agent_id AND head.chain_id = chains.chain_id AND head.seq = chains.head_seq
      ORDER BY head.leaf_index LIMIT 1) AS head_hash
  FROM (SELECT agent_id, chain_id, count(*) AS count, max(seq) AS head_seq FROM events ${where} GROUP BY agent_id, chain_id) AS chains
  ORDER BY chains.agent_id COLLATE "C", chains.chain_id COLLATE "C"`;

export function checkLimit(limit: unknown, what: string): asserts limit is number {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new FactoError('invalid_argument', `${what} limit must be a non-negative integer, got ${String(limit)}`);
  }
}

/** Each distinct statement text gets one name, so pg prepares it once per connection and reuses it. */
const statementNames = new Map<string, string>();
function named(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `facto_read_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

async function events(database: Queryable, text: string, values: unknown[]): Promise<StoredEvent[]> {
  const result = await database.query<EventRow>(named(text, values));
  return result.rows.map(eventFromRow);
}

export function createEventReader(database: Queryable) {
  return {
    getEvent: async (factoId: string) => (await events(database, `SELECT ${EVENT_COLUMNS} FROM events WHERE facto_id = $1`, [factoId]))[0] ?? null,
    getEventsByHash: async (hashes: readonly string[]) => {
      const wanted = lookupBytes(hashes);
      return wanted.length === 0 ? [] : events(database, `SELECT ${EVENT_COLUMNS} FROM events WHERE hash = ANY($1::bytea[]) ORDER BY leaf_index`, [wanted]);
    },
    getEventsByFactoId: async (factoIds: readonly string[]) =>
      factoIds.length === 0 ? [] : events(database, `SELECT ${EVENT_COLUMNS} FROM events WHERE facto_id = ANY($1::text[]) ORDER BY leaf_index`, [[...factoIds]]),
    getChainEvents: async (agentId: string, chainId: string, seqs: readonly number[]) =>
      seqs.length === 0 ? [] : events(database, `SELECT ${EVENT_COLUMNS} FROM events WHERE agent_id = $1 AND chain_id = $2 AND seq = ANY($3::bigint[]) ORDER BY seq, leaf_index`, [agentId, chainId, [...seqs]]),
    listChain: (agentId: string, chainId: string) => events(database, `SELECT ${EVENT_COLUMNS} FROM events WHERE agent_id = $1 AND chain_id = $2 ORDER BY seq, leaf_index`, [agentId, chainId]),
    listChainLinks: async (agentId: string, chainId: string): Promise<ChainLink[]> => {
      const result = await database.query<{ seq: number; hash: Buffer; prev_hash: Buffer; dropped: number; erased: boolean }>(
        named('SELECT seq, hash, prev_hash, dropped, erased_by IS NOT NULL AS erased FROM events WHERE agent_id = $1 AND chain_id = $2 ORDER BY seq, leaf_index', [agentId, chainId]),
      );
      return result.rows.map((row) => ({ seq: Number(row.seq), hash: row.hash.toString('hex'), prevHash: row.prev_hash.toString('hex'), dropped: Number(row.dropped), erased: row.erased }));
    },
    listChainRange: async (query: ChainRangeQuery) => {
      checkLimit(query.limit, 'Chain range');
      const { lowSeq, toSeq, afterLeafIndex, before, after } = chainRangeBounds(query);
      return events(
        database,
        `SELECT ${EVENT_COLUMNS} FROM events WHERE agent_id = $1 AND chain_id = $2 AND seq BETWEEN $3 AND $4 AND (seq > $3 OR leaf_index > $5)
          AND (received_at < $6 OR received_at > $7) ORDER BY seq, leaf_index LIMIT $8`,
        [query.agentId, query.chainId, lowSeq, toSeq, afterLeafIndex, before, after, query.limit],
      );
    },
    listPendingEvents: async (receivedBefore: number, limit: number) => {
      checkLimit(limit, 'Event query');
      return events(database, `SELECT ${EVENT_COLUMNS} FROM events WHERE link_status = 'pending' AND received_at < $1 ORDER BY received_at LIMIT $2`, [receivedBefore, limit]);
    },
    listChains: async (agentId?: string): Promise<ChainSummary[]> => {
      const config = agentId === undefined ? named(chainSummarySql(''), []) : named(chainSummarySql('WHERE agent_id = $1'), [agentId]);
      const result = await database.query<ChainSummaryRow>(config);
      return result.rows.map((row) => ({ agentId: row.agent_id, chainId: row.chain_id, count: row.count, headSeq: row.head_seq, headHash: row.head_hash.toString('hex') }));
    },
    queryEvents: async (query: EventQuery): Promise<StoredEvent[]> => {
      if (query.order !== 'asc' && query.order !== 'desc') throw new FactoError('invalid_argument', `Event query order must be 'asc' or 'desc', got ${String(query.order)}`);
      checkLimit(query.limit, 'Event query');
      const conditions: string[] = [];
      const values: unknown[] = [];
      const add = (condition: string, value: unknown) => {
        values.push(value);
        conditions.push(condition.replace('?', `$${values.length}`));
      };
      if (query.agentId !== undefined) add('agent_id = ?', query.agentId);
      if (query.chainId !== undefined) add('chain_id = ?', query.chainId);
      if (query.actionType !== undefined) add('action_type = ?', query.actionType);
      if (query.since !== undefined) add('received_at >= ?', query.since);
      if (query.until !== undefined) add('received_at <= ?', query.until);
      // The cursor continues in the direction of the order: after 10 ascending is 11, descending 9.
      if (query.afterLeafIndex !== undefined) add(query.order === 'desc' ? 'leaf_index < ?' : 'leaf_index > ?', query.afterLeafIndex);
      values.push(query.limit);
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      return events(database, `SELECT ${EVENT_COLUMNS} FROM events ${where} ORDER BY leaf_index ${query.order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${values.length}`, values);
    },
  };
}
