/**
 * The chains of an evidence bundle (docs/spec.md section 13.1, steps 3 and 4): each chain's events
 * against its signed chain statement, with the gap rule of section 10; a bundle whose query has a
 * `since` bound holds a partial view of each chain, which starts at its first event. A statement
 * whose chain has no event left in the bundle means all of them were removed.
 *
 * A chain is judged on its events whose record hashes to their stated hash: nothing else about a
 * record can be trusted, its seq and prev_hash included. A seq that only events failing that check
 * hold is present but unverified, and said so, rather than called missing: an altered event is
 * reported where it is, and the counts against the statement and the manifest agree.
 */
import { chainKey, verifyChains, type ChainGap } from '../chain/verify-chains.js';
import { openNote, type VerifierKey } from '../note/index.js';
import { parseChainStatement, type ChainStatement } from './chain-statement.js';
import { CHECKPOINT_NOT_OPENED, type BundleChain, type Checkpointed, type EvidenceBundle } from './types.js';
import { isReadableRecord, type EventVerdict } from './verify-events.js';

export interface ChainVerdict {
  readonly agentId: string;
  readonly chainId: string;
  readonly statement: ChainStatement | null;
  /** Runs of seq the bundle holds no event at, undeclared (the gap rule of section 10). */
  readonly missing: readonly ChainGap[];
  /** Seqs held only by events whose record does not hash to their stated hash, ascending. */
  readonly unverified: readonly number[];
  readonly ok: boolean;
  readonly errors: readonly string[];
}

export type ChainStatements = Map<string, { statement: ChainStatement | null; errors: string[] }>;

/**
 * The chain statements, opened with the log keys and checked against the checkpoint (undefined when
 * it did not open, which is said instead), by chain (shared with the streaming verifier).
 */
export function openChainStatements(chains: readonly BundleChain[], logKeys: readonly VerifierKey[], checkpoint: Checkpointed | undefined): ChainStatements {
  const statements: ChainStatements = new Map();
  for (const chain of chains) {
    if (typeof chain !== 'object' || chain === null) continue;
    // A statement is filed under the chain it signs, so an entry whose agent_id or chain_id was
    // edited is reported as not matching its statement, not as a chain without one.
    let key = chainKey(chain.agent_id, chain.chain_id);
    const errors: string[] = [];
    let statement: ChainStatement | null = null;
    try {
      statement = parseChainStatement(openNote(chain.statement, logKeys).text);
      if (statement.agentId !== chain.agent_id || statement.chainId !== chain.chain_id) {
        errors.push(`the chains entry (agent ${JSON.stringify(chain.agent_id)}, chain ${JSON.stringify(chain.chain_id)}) does not match its signed statement (agent ${JSON.stringify(statement.agentId)}, chain ${JSON.stringify(statement.chainId)})`);
        key = chainKey(statement.agentId, statement.chainId);
      }
      if (checkpoint === undefined) errors.push(`statement: its origin and tree size could not be compared with the checkpoint: ${CHECKPOINT_NOT_OPENED}`);
      else {
        if (statement.origin !== checkpoint.origin) errors.push('statement is from another log');
        if (statement.treeSize !== checkpoint.treeSize) errors.push(`statement was made at tree size ${statement.treeSize}, the checkpoint is at ${checkpoint.treeSize}`);
      }
    } catch (error) {
      errors.push(`statement: ${(error as Error).message}`);
    }
    if (statements.has(key)) errors.push('a second statement for the same chain');
    statements.set(key, { statement, errors });
  }
  return statements;
}

/** What a walk of one chain's hash-verified events found (verifyChains, or the packed walk of streamed-chains.ts). */
export interface WalkedChain {
  readonly forks: readonly number[];
  readonly replays: readonly number[];
  readonly badLinks: readonly number[];
  readonly gaps: readonly ChainGap[];
  /** The distinct seqs of the chain's hash-verified events, ascending. */
  readonly seqs: ArrayLike<number>;
  /** The stated hash of the first hash-verified event (in bundle order) at `seq`, if there is one. */
  hashAt(seq: number): string | undefined;
}

/** `seq 4`, `seqs 2..5, 9`: ascending distinct seqs as runs. */
export function seqRuns(seqs: readonly number[]): string {
  const runs: string[] = [];
  for (let index = 0; index < seqs.length; ) {
    let end = index;
    while (end + 1 < seqs.length && seqs[end + 1] === seqs[end]! + 1) end++;
    runs.push(end === index ? `${seqs[index]}` : `${seqs[index]}..${seqs[end]}`);
    index = end + 1;
  }
  return `${seqs.length === 1 ? 'seq' : 'seqs'} ${runs.join(', ')}`;
}

/** The seqs in [from, to] that `unverified` (ascending) does not hold, as undeclared runs. */
function runsOutside(from: number, to: number, unverified: readonly number[]): ChainGap[] {
  return absentRuns([{ fromSeq: from, toSeq: to, declared: false }], unverified);
}

/** The undeclared gaps less the seqs unverified events hold: what is really absent. Both lists ascending. */
function absentRuns(gaps: readonly ChainGap[], unverified: readonly number[]): ChainGap[] {
  const absent: ChainGap[] = [];
  let next = 0;
  for (const gap of gaps) {
    if (gap.declared) continue;
    while (next < unverified.length && unverified[next]! < gap.fromSeq) next++;
    let from = gap.fromSeq;
    for (; next < unverified.length && unverified[next]! <= gap.toSeq; next++) {
      if (unverified[next]! > from) absent.push({ fromSeq: from, toSeq: unverified[next]! - 1, declared: false });
      from = unverified[next]! + 1;
    }
    if (from <= gap.toSeq) absent.push({ fromSeq: from, toSeq: gap.toSeq, declared: false });
  }
  return absent;
}

/**
 * One chain's verdict from its walk and its statement (the same words from both verifiers).
 * `unverified`: the seqs, ascending, that only events not hash-verified hold in this chain.
 * The walk finds gaps between verified events; beyond them (after the last verified event, and in
 * a partial view before the first), what the unverified events do not hold is absent too, and no
 * verified event declares it dropped.
 */
export function judgeChain(agentId: string, chainId: string, found: { statement: ChainStatement | null; errors: string[] } | undefined, walked: WalkedChain, unverified: readonly number[], partial: boolean): ChainVerdict {
  const errors = [...(found?.errors ?? ['no chain statement: a removed tail could not be detected'])];
  const statement = found?.statement ?? null;
  if (walked.forks.length > 0) errors.push(`fork at seq ${walked.forks.join(', ')}`);
  if (walked.replays.length > 0) errors.push(`replayed (duplicated) event at seq ${walked.replays.join(', ')}`);
  if (walked.badLinks.length > 0) errors.push(`broken link at seq ${walked.badLinks.join(', ')}`);
  if (unverified.length > 0) errors.push(unverifiedError(unverified));
  // An unverified record's seq is only its claim: one outside the signed range (an edited seq) is
  // no evidence of where the chain ends, so it places nothing; it is named in the line above.
  const placed = statement === null ? unverified : unverified.filter((seq) => seq >= statement.firstSeq && seq <= statement.lastSeq);
  const seqs = walked.seqs;
  const lowestVerified = seqs[0]!;
  const highestVerified = seqs[seqs.length - 1]!;
  const missing = [
    ...(partial && placed.length > 0 && placed[0]! < lowestVerified ? runsOutside(placed[0]!, lowestVerified - 1, placed) : []),
    ...absentRuns(walked.gaps, placed),
    ...(placed.length > 0 && placed[placed.length - 1]! > highestVerified ? runsOutside(highestVerified + 1, placed[placed.length - 1]!, placed) : []),
  ];
  for (const gap of missing) errors.push(`events ${gap.fromSeq}..${gap.toSeq} are missing and were not declared dropped`);
  if (statement) {
    // The bundle's range and count take in the unverified events: they are there, only not proven.
    const lowest = Math.min(lowestVerified, placed[0] ?? Infinity);
    const highest = Math.max(highestVerified, placed[placed.length - 1] ?? -Infinity);
    const held = seqs.length + placed.length;
    if (lowest !== statement.firstSeq) errors.push(`the statement's range starts at seq ${statement.firstSeq}, the bundle at ${lowest}`);
    if (highest !== statement.lastSeq) errors.push(`the statement's range ends at seq ${statement.lastSeq}, the bundle at ${highest} (${highest < statement.lastSeq ? 'events removed from the end' : 'past the signed range'})`);
    if (held !== statement.count) errors.push(`the statement counts ${statement.count} events, the bundle holds ${held}`);
    const head = walked.hashAt(statement.headSeq);
    if (head !== undefined && head !== statement.headHash) errors.push('the head event differs from the signed head');
  }
  return { agentId, chainId, statement, missing, unverified, ok: errors.length === 0, errors };
}

function unverifiedError(unverified: readonly number[]): string {
  return `the bundle's events at ${seqRuns(unverified)} could not be verified (see those events), so the chain cannot be checked through them`;
}

/** The verdict of a statement whose chain has no hash-verified event in the bundle. */
export function chainWithoutEvents(key: string, statement: ChainStatement | null, errors: readonly string[], unverified: readonly number[] = []): ChainVerdict {
  const [agentId, chainId] = JSON.parse(key) as [string, string];
  const holds = unverified.length === 0 ? 'the bundle holds none' : `the bundle holds none that verify: ${unverifiedError(unverified)}`;
  const found = [...errors, statement ? `the statement covers ${statement.count} events of this chain, ${holds}` : unverified.length === 0 ? 'chain statement without events' : `chain statement without events that verify: ${unverifiedError(unverified)}`];
  return { agentId, chainId, statement, missing: [], unverified, ok: false, errors: found };
}

export function verifyBundleChains(bundle: EvidenceBundle, events: readonly EventVerdict[], logKeys: readonly VerifierKey[], checkpoint: Checkpointed | undefined): ChainVerdict[] {
  const statements = openChainStatements(bundle.chains, logKeys, checkpoint);
  const partial = typeof bundle.query === 'object' && bundle.query !== null && Object.hasOwn(bundle.query, 'since');

  const byChain = new Map<string, { agentId: string; chainId: string; entries: { seq: number; hash: string; prevHash: string; dropped: number }[] }>();
  // The seqs of events whose record is readable but does not hash to their stated hash, by the chain the record names.
  const failing = new Map<string, Set<number>>();
  bundle.events.forEach((event, index) => {
    if (!events[index]!.hash || typeof event.hash !== 'string') {
      if (typeof event === 'object' && event !== null && isReadableRecord(event.record)) {
        const key = chainKey(event.record.agent_id, event.record.chain_id);
        failing.set(key, (failing.get(key) ?? new Set()).add(event.record.seq));
      }
      return;
    }
    const record = event.record;
    const key = chainKey(record.agent_id, record.chain_id);
    const chain = byChain.get(key) ?? { agentId: record.agent_id, chainId: record.chain_id, entries: [] };
    chain.entries.push({ seq: record.seq, hash: event.hash, prevHash: record.prev_hash, dropped: record.dropped });
    byChain.set(key, chain);
  });
  const unverifiedIn = (key: string, verified: ReadonlySet<number>) => [...(failing.get(key) ?? [])].filter((seq) => !verified.has(seq)).sort((left, right) => left - right);

  const verdicts: ChainVerdict[] = [];
  for (const [key, chain] of byChain) {
    const [report] = verifyChains(
      chain.entries.map((entry) => ({ ...entry, agentId: chain.agentId, chainId: chain.chainId })),
      { partial },
    );
    const seqs = [...new Set(chain.entries.map((entry) => entry.seq))].sort((left, right) => left - right);
    const walked: WalkedChain = {
      forks: report!.forks.map((fork) => fork.seq),
      replays: report!.replays.map((replay) => replay.seq),
      badLinks: report!.badLinks.map((link) => link.seq),
      gaps: report!.gaps,
      seqs,
      hashAt: (seq) => chain.entries.find((entry) => entry.seq === seq)?.hash,
    };
    verdicts.push(judgeChain(chain.agentId, chain.chainId, statements.get(key), walked, unverifiedIn(key, new Set(seqs)), partial));
  }
  for (const [key, { statement, errors }] of statements) {
    if (byChain.has(key)) continue;
    verdicts.push(chainWithoutEvents(key, statement, errors, unverifiedIn(key, new Set())));
  }
  return verdicts;
}
