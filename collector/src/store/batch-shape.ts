/**
 * The rules of a Batch (types.ts) that need no stored state: sizes, contiguous leaf indices, node
 * shapes. Every driver checks them first, so a malformed batch is refused before it takes a lock.
 */
import { FactoError } from '@facto/core';
import type { Batch } from './types.js';

const NODE_HASH_LENGTH = 32;

export function invalidBatch(reason: string): FactoError {
  return new FactoError('invalid_argument', `Batch refused: ${reason}`);
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Rules that need no stored state. Checked first so a malformed batch never takes the write lock. */
export function checkBatchShape(batch: Batch): void {
  if (!isSize(batch.expectedTreeSize)) throw invalidBatch(`expectedTreeSize must be a non-negative integer, got ${String(batch.expectedTreeSize)}`);
  const appended = batch.events.length + batch.logEntries.length;
  if (batch.newTreeSize !== batch.expectedTreeSize + appended) {
    throw invalidBatch(
      `newTreeSize is ${String(batch.newTreeSize)}, but expectedTreeSize ${batch.expectedTreeSize} plus ${batch.events.length} events and ${batch.logEntries.length} log entries is ${batch.expectedTreeSize + appended}`,
    );
  }
  const indices = [...batch.events.map((event) => event.leafIndex), ...batch.logEntries.map((entry) => entry.leafIndex)];
  indices.sort((left, right) => left - right);
  indices.forEach((leafIndex, position) => {
    const expected = batch.expectedTreeSize + position;
    if (leafIndex !== expected) {
      throw invalidBatch(`leaf indices of events and log entries must be exactly ${batch.expectedTreeSize}..${batch.newTreeSize - 1}; expected ${expected}, found ${String(leafIndex)}`);
    }
  });
  for (const node of batch.nodes) {
    if (!isSize(node.level) || !isSize(node.index)) throw invalidBatch(`node (${String(node.level)}, ${String(node.index)}) has a level or index that is not a non-negative integer`);
    if (!(node.hash instanceof Uint8Array) || node.hash.length !== NODE_HASH_LENGTH) {
      throw invalidBatch(`node (level ${node.level}, index ${node.index}) hash must be ${NODE_HASH_LENGTH} bytes`);
    }
  }
}
