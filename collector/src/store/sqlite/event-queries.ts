/**
 * Reads of stored events. Lists of values (hashes, seqs) travel as one JSON array parameter read
 * with json_each, so one prepared statement serves any list length and SQLite's limit on bound
 * parameters never applies. queryEvents builds its SQL from the filters present (so each shape can
 * use its index) and keeps each shape's prepared statement.
 */
import { FactoError } from '@facto/core';
import type Database from 'better-sqlite3';
import type { ChainLink, ChainRangeQuery, ChainSummary, EventQuery, StoredEvent } from '../types.js';
import { chainRangeBounds } from '../chain-range.js';
import { StoreUnavailableError } from '../errors.js';
import { isLowerHex } from './event-body.js';
import { EVENT_COLUMNS, eventFromRow, type EventRow } from './rows.js';

export interface EventReader {
  getEvent(factoId: string): StoredEvent | null;
  getEventsByHash(hashes: readonly string[]): StoredEvent[];
  getEventsByFactoId(factoIds: readonly string[]): StoredEvent[];
  getChainEvents(agentId: string, chainId: string, seqs: readonly number[]): StoredEvent[];
  listChain(agentId: string, chainId: string): StoredEvent[];
  /** A page of a chain's links after (seq, leafIndex), of leaves below `belowLeaf`, at most `limit`, and where the next page starts. */
  listChainLinks(agentId: string, chainId: string, after: { seq: number; leafIndex: number }, belowLeaf: number, limit: number): { links: ChainLink[]; last?: { seq: number; leafIndex: number } };
  listChainRange(query: ChainRangeQuery): StoredEvent[];
  listChains(agentId?: string): ChainSummary[];
  queryEvents(query: EventQuery): StoredEvent[];
  listPendingEvents(receivedBefore: number, limit: number): StoredEvent[];
}

interface ChainSummaryRow {
  agent_id: string;
  chain_id: string;
  count: number;
  head_seq: number;
  head_hash: string;
}

// The head of a forked chain has several events at the highest seq; the first one logged is reported.
const chainSummarySql = (where: string) => `
  SELECT chains.agent_id, chains.chain_id, chains.count, chains.head_seq,
    (SELECT lower(hex(head.hash)) FROM events AS head
      WHERE head.agent_id = chains.agent_id AND head.chain_id = chains.chain_id AND head.seq = chains.head_seq
      ORDER BY head.leaf_index LIMIT 1) AS head_hash
  FROM (SELECT agent_id, chain_id, count(*) AS count, max(seq) AS head_seq FROM events ${where} GROUP BY agent_id, chain_id) AS chains
  ORDER BY chains.agent_id, chains.chain_id`;

export function checkLimit(limit: unknown, what = 'Event query'): asserts limit is number {
  // SQLite reads a negative LIMIT as "no limit", so a bad value must not reach it.
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new FactoError('invalid_argument', `${what} limit must be a non-negative integer, got ${String(limit)}`);
  }
}

export function createEventReader(database: Database.Database): EventReader {
  const byFactoId = database.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE facto_id = ?`);
  const byHashes = database.prepare<[string], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE hash IN (SELECT unhex(value) FROM json_each(?)) ORDER BY leaf_index`,
  );
  const byFactoIds = database.prepare<[string], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE facto_id IN (SELECT value FROM json_each(?)) ORDER BY leaf_index`,
  );
  const byChainSeqs = database.prepare<[string, string, string], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE agent_id = ? AND chain_id = ? AND seq IN (SELECT value FROM json_each(?)) ORDER BY seq, leaf_index`,
  );
  const byChain = database.prepare<[string, string], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE agent_id = ? AND chain_id = ? ORDER BY seq, leaf_index`,
  );
  // The row value lets SQLite seek to the page in events_by_chain (agent_id, chain_id, seq, then the
  // rowid, leaf_index), where an OR of the two conditions scanned the chain from its start every page.
  const linksAfter = database.prepare<[string, string, number, number, number, number], [number, number, Buffer, Buffer, number, number]>(
    `SELECT seq, leaf_index, hash, prev_hash, dropped, erased_by IS NOT NULL FROM events
      WHERE agent_id = ? AND chain_id = ? AND (seq, leaf_index) > (?, ?) AND leaf_index < ? ORDER BY seq, leaf_index LIMIT ?`,
  ).raw();
  const byChainRange = database.prepare<[string, string, number, number, number, number, number, number, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE agent_id = ? AND chain_id = ? AND seq BETWEEN ? AND ? AND (seq > ? OR leaf_index > ?)
      AND (received_at < ? OR received_at > ?) ORDER BY seq, leaf_index LIMIT ?`,
  );
  const pending = database.prepare<[number, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE link_status = 'pending' AND received_at < ? ORDER BY received_at LIMIT ?`,
  );
  const allChains = database.prepare<[], ChainSummaryRow>(chainSummarySql(''));
  const agentChains = database.prepare<[string], ChainSummaryRow>(chainSummarySql('WHERE agent_id = ?'));
  const queryStatements = new Map<string, Database.Statement<unknown[], EventRow>>();
  // Context rows never change once written, so their text is remembered by id (a fleet has a handful).
  const readContext = database.prepare<[number], { context_json: string }>('SELECT context_json FROM contexts WHERE id = ?');
  const contexts = new Map<number, string>();
  const contextJson = (id: number): string => {
    let json = contexts.get(id);
    if (json === undefined) {
      json = readContext.get(id)?.context_json;
      if (json === undefined) throw new StoreUnavailableError(`SQLite store is damaged: a stored event names span context ${id}, which is not stored; restore the database from a backup`, { damaged: true });
      if (contexts.size >= 10_000) contexts.clear();
      contexts.set(id, json);
    }
    return json;
  };
  const toEvent = (row: EventRow) => eventFromRow(row, contextJson);

  function queryStatement(query: EventQuery): { statement: Database.Statement<unknown[], EventRow>; parameters: unknown[] } {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const add = (condition: string, value: unknown) => {
      conditions.push(condition);
      parameters.push(value);
    };
    if (query.agentId !== undefined) add('agent_id = ?', query.agentId);
    if (query.chainId !== undefined) add('chain_id = ?', query.chainId);
    if (query.actionType !== undefined) add('action_type = ?', query.actionType);
    if (query.since !== undefined) add('received_at >= ?', query.since);
    if (query.until !== undefined) add('received_at <= ?', query.until);
    // The cursor continues in the direction of the order: after 10 ascending is 11, descending 9.
    if (query.afterLeafIndex !== undefined) add(query.order === 'desc' ? 'leaf_index < ?' : 'leaf_index > ?', query.afterLeafIndex);
    parameters.push(query.limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const sql = `SELECT ${EVENT_COLUMNS} FROM events ${where} ORDER BY leaf_index ${query.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`;
    let statement = queryStatements.get(sql);
    if (statement === undefined) {
      statement = database.prepare<unknown[], EventRow>(sql);
      queryStatements.set(sql, statement);
    }
    return { statement, parameters };
  }

  return {
    getEvent: (factoId) => {
      const row = byFactoId.get(factoId);
      return row === undefined ? null : toEvent(row);
    },
    getEventsByHash: (hashes) => {
      // Hashes are stored as bytes: only lowercase hex can name one (unhex would also take uppercase).
      const wanted = hashes.filter(isLowerHex);
      return wanted.length === 0 ? [] : byHashes.all(JSON.stringify(wanted)).map(toEvent);
    },
    getEventsByFactoId: (factoIds) => (factoIds.length === 0 ? [] : byFactoIds.all(JSON.stringify(factoIds)).map(toEvent)),
    getChainEvents: (agentId, chainId, seqs) => (seqs.length === 0 ? [] : byChainSeqs.all(agentId, chainId, JSON.stringify(seqs)).map(toEvent)),
    listChain: (agentId, chainId) => byChain.all(agentId, chainId).map(toEvent),
    listChainLinks: (agentId, chainId, after, belowLeaf, limit) => {
      const rows = linksAfter.all(agentId, chainId, after.seq, after.leafIndex, belowLeaf, limit);
      const links = rows.map(([seq, , hash, prevHash, dropped, erased]) => ({ seq, hash: hash.toString('hex'), prevHash: prevHash.toString('hex'), dropped, erased: erased === 1 }));
      const last = rows.at(-1);
      return { links, ...(last === undefined ? {} : { last: { seq: last[0], leafIndex: last[1] } }) };
    },
    listChainRange: (query) => {
      checkLimit(query.limit);
      const { lowSeq, toSeq, afterLeafIndex, before, after } = chainRangeBounds(query);
      return byChainRange.all(query.agentId, query.chainId, lowSeq, toSeq, lowSeq, afterLeafIndex, before, after, query.limit).map(toEvent);
    },
    listPendingEvents: (receivedBefore, limit) => {
      checkLimit(limit);
      return pending.all(receivedBefore, limit).map(toEvent);
    },
    listChains: (agentId) => {
      const rows = agentId === undefined ? allChains.all() : agentChains.all(agentId);
      return rows.map((row) => ({ agentId: row.agent_id, chainId: row.chain_id, count: row.count, headSeq: row.head_seq, headHash: row.head_hash }));
    },
    queryEvents: (query) => {
      if (query.order !== 'asc' && query.order !== 'desc') throw new FactoError('invalid_argument', `Event query order must be 'asc' or 'desc', got ${String(query.order)}`);
      checkLimit(query.limit);
      const { statement, parameters } = queryStatement(query);
      return statement.all(...parameters).map(toEvent);
    },
  };
}
