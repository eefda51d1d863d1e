/**
 * Chain verification over the packed facts a streaming verifier kept (streamed-events.ts): the same
 * judgement as verifyBundleChains with verifyChains' walk (docs/spec.md sections 10 and 13.1, steps 3
 * and 4), made on typed arrays so that a chain of a million events costs a sort of a million numbers
 * rather than a million objects. verify-bundle-stream.test.ts holds the two to the same reports.
 */
import { chainKey, type ChainGap } from '../chain/verify-chains.js';
import { Held, type StreamedEvents } from './streamed-events.js';
import { chainWithoutEvents, judgeChain, type ChainStatements, type ChainVerdict } from './verify-bundle-chains.js';

/** Whether the packed hashes of two rows, or a row's prev_hash and another row's hash, are equal. */
function prevLinksTo(table: StreamedEvents, row: number, predecessor: number | 'genesis'): boolean {
  if (table.prevHashHeld[row] !== Held.Packed) return false;
  const prev = table.prevHash.bytes;
  if (predecessor === 'genesis') {
    for (let index = 0; index < 32; index++) if (prev[row * 32 + index] !== 0) return false;
    return true;
  }
  const hash = table.hash.bytes;
  for (let index = 0; index < 32; index++) if (prev[row * 32 + index] !== hash[predecessor * 32 + index]) return false;
  return true;
}

interface Walked {
  readonly seqs: Float64Array;
  readonly gaps: ChainGap[];
  readonly forks: number[];
  readonly replays: number[];
  readonly badLinks: number[];
  /** For each seq, in event order, the first row at that seq. */
  readonly firstRow: Uint32Array;
}

/** verifyChains' walk over one chain's rows (in event order). */
function walkChain(table: StreamedEvents, rows: Uint32Array, partial: boolean): Walked {
  const sorted = rows.slice().sort((left, right) => table.seq[left]! - table.seq[right]! || left - right);
  // Per distinct seq: its distinct records (first copy of each hash), kept as a range of `distinct`.
  const seqs: number[] = [];
  const starts: number[] = [];
  const distinct: number[] = [];
  const forks: number[] = [];
  const replays: number[] = [];
  for (let index = 0; index < sorted.length; ) {
    const seq = table.seq[sorted[index]!]!;
    let end = index;
    while (end < sorted.length && table.seq[sorted[end]!] === seq) end++;
    const start = distinct.length;
    const copies: number[] = [];
    for (let position = index; position < end; position++) {
      const row = sorted[position]!;
      let same = -1;
      for (let other = start; other < distinct.length && same === -1; other++) if (table.hash.equal(distinct[other]!, row)) same = other - start;
      if (same === -1) {
        distinct.push(row);
        copies.push(1);
      } else copies[same]!++;
    }
    for (const count of copies) if (count > 1) replays.push(seq);
    if (copies.length > 1) forks.push(seq);
    seqs.push(seq);
    starts.push(start);
    index = end;
  }
  starts.push(distinct.length);
  const groupRows = (group: number) => distinct.slice(starts[group], starts[group + 1]);
  const groupOf = (seq: number) => indexInSorted(seqs, seq);

  const suffixDropped = new Float64Array(seqs.length);
  let highest = 0;
  for (let group = seqs.length - 1; group >= 0; group--) {
    for (const row of groupRows(group)) highest = Math.max(highest, table.dropped[row]!);
    suffixDropped[group] = highest;
  }

  const gaps: ChainGap[] = [];
  const badLinks: number[] = [];
  let accounted = 0;
  let previousSeq = partial && seqs.length > 0 ? seqs[0]! - 1 : -1;
  seqs.forEach((seq, group) => {
    const missing = seq - previousSeq - 1;
    if (missing > 0) {
      const declared = suffixDropped[group]! - accounted >= missing;
      if (declared) accounted += missing;
      gaps.push({ fromSeq: previousSeq + 1, toSeq: seq - 1, declared });
    } else if (!(partial && group === 0)) {
      // verifyChains looks the predecessor up by its seq; only a negative seq can miss it (a record
      // with one cannot be signed honestly), and then it fails as verifyChains does.
      const predecessorGroup = seq === 0 ? -1 : groupOf(previousSeq);
      if (seq !== 0 && predecessorGroup === -1) throw new TypeError("Cannot read properties of undefined (reading 'map')");
      const predecessors = seq === 0 ? (['genesis'] as const) : groupRows(predecessorGroup);
      for (const row of groupRows(group)) if (!predecessors.some((predecessor) => prevLinksTo(table, row, predecessor))) badLinks.push(seq);
    }
    for (const row of groupRows(group)) accounted = Math.max(accounted, table.dropped[row]!);
    previousSeq = seq;
  });
  return { seqs: Float64Array.from(seqs), gaps, forks, replays, badLinks, firstRow: Uint32Array.from(starts.slice(0, -1), (start) => distinct[start]!) };
}

/** The seqs, by chain key, of rows whose record is readable but does not hash to its stated hash. */
function failingSeqs(table: StreamedEvents): Map<string, number[]> {
  const failing = new Map<string, number[]>();
  for (let row = 0; row < table.count; row++) {
    const group = table.recordChain[row]!;
    if (group < 0 || table.chain[row]! >= 0) continue;
    const { agentId, chainId } = table.recordChains[group]!;
    const key = chainKey(agentId, chainId);
    const seqs = failing.get(key) ?? [];
    seqs.push(table.seq[row]!);
    failing.set(key, seqs);
  }
  return failing;
}

/** The distinct seqs of `seqs` that `verified` (ascending) does not hold, ascending. */
function unverifiedSeqs(seqs: readonly number[] | undefined, verified: Float64Array): number[] {
  if (seqs === undefined) return [];
  const sorted = Float64Array.from(seqs).sort();
  const out: number[] = [];
  for (let index = 0; index < sorted.length; index++) {
    const seq = sorted[index]!;
    if (index > 0 && sorted[index - 1] === seq) continue;
    if (indexInSorted(verified, seq) === -1) out.push(seq);
  }
  return out;
}

/** The index of `value` in ascending `sorted`, or -1 (a binary search). */
function indexInSorted(sorted: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] === value) return middle;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** verifyBundleChains over the packed facts: one verdict per chain with hash-verified events, then one per statement left without events. */
export function verifyStreamedChains(table: StreamedEvents, statements: ChainStatements, partial: boolean): ChainVerdict[] {
  const verdicts: ChainVerdict[] = [];
  const rowsByChain = table.groupRows(table.chain, table.chains.length);
  const failing = failingSeqs(table);
  const withEvents = new Set<string>();
  table.chains.forEach(({ agentId, chainId }, index) => {
    const key = chainKey(agentId, chainId);
    withEvents.add(key);
    const walked = walkChain(table, rowsByChain[index]!, partial);
    const hashAt = (seq: number) => {
      const group = indexInSorted(walked.seqs, seq);
      return group === -1 ? undefined : table.hashHex(walked.firstRow[group]!);
    };
    verdicts.push(judgeChain(agentId, chainId, statements.get(key), { ...walked, hashAt }, unverifiedSeqs(failing.get(key), walked.seqs), partial));
  });
  for (const [key, { statement, errors }] of statements) {
    if (withEvents.has(key)) continue;
    verdicts.push(chainWithoutEvents(key, statement, errors, unverifiedSeqs(failing.get(key), new Float64Array(0))));
  }
  return verdicts;
}
