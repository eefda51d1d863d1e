/**
 * The chains of an evidence bundle (docs/spec.md section 13.1, steps 3 and 4): each chain's events
 * against its signed chain statement, with the gap rule of section 10; a bundle whose query has a
 * `since` bound holds a partial view of each chain, which starts at its first event. A statement
 * whose chain has no event left in the bundle means all of them were removed.
 */
import { chainKey, verifyChains, type ChainGap } from '../chain/verify-chains.js';
import { openNote, type VerifierKey } from '../note/index.js';
import { parseChainStatement, type ChainStatement } from './chain-statement.js';
import { CHECKPOINT_NOT_OPENED, type BundleChain, type Checkpointed, type EvidenceBundle } from './types.js';
import type { EventVerdict } from './verify-events.js';

export interface ChainVerdict {
  readonly agentId: string;
  readonly chainId: string;
  readonly statement: ChainStatement | null;
  readonly missing: readonly ChainGap[];
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

export function verifyBundleChains(bundle: EvidenceBundle, events: readonly EventVerdict[], logKeys: readonly VerifierKey[], checkpoint: Checkpointed | undefined): ChainVerdict[] {
  const statements = openChainStatements(bundle.chains, logKeys, checkpoint);
  const partial = typeof bundle.query === 'object' && bundle.query !== null && Object.hasOwn(bundle.query, 'since');

  const byChain = new Map<string, { agentId: string; chainId: string; entries: { seq: number; hash: string; prevHash: string; dropped: number }[] }>();
  bundle.events.forEach((event, index) => {
    if (!events[index]!.hash || typeof event.hash !== 'string') return;
    const record = event.record;
    const key = chainKey(record.agent_id, record.chain_id);
    const chain = byChain.get(key) ?? { agentId: record.agent_id, chainId: record.chain_id, entries: [] };
    chain.entries.push({ seq: record.seq, hash: event.hash, prevHash: record.prev_hash, dropped: record.dropped });
    byChain.set(key, chain);
  });

  const verdicts: ChainVerdict[] = [];
  for (const [key, chain] of byChain) {
    const found = statements.get(key);
    const errors = [...(found?.errors ?? ['no chain statement: a removed tail could not be detected'])];
    const statement = found?.statement ?? null;
    const [report] = verifyChains(
      chain.entries.map((entry) => ({ ...entry, agentId: chain.agentId, chainId: chain.chainId })),
      { partial },
    );
    const missing = report!.gaps.filter((gap) => !gap.declared);
    if (report!.forks.length > 0) errors.push(`fork at seq ${report!.forks.map((fork) => fork.seq).join(', ')}`);
    if (report!.replays.length > 0) errors.push(`replayed (duplicated) event at seq ${report!.replays.map((replay) => replay.seq).join(', ')}`);
    if (report!.badLinks.length > 0) errors.push(`broken link at seq ${report!.badLinks.map((link) => link.seq).join(', ')}`);
    for (const gap of missing) errors.push(`events ${gap.fromSeq}..${gap.toSeq} are missing and were not declared dropped`);
    if (statement) {
      const seqs = chain.entries.map((entry) => entry.seq);
      // A loop, not Math.min(...seqs): spreading a large chain as arguments overflows the stack.
      let lowest = Infinity;
      let highest = -Infinity;
      for (const seq of seqs) {
        if (seq < lowest) lowest = seq;
        if (seq > highest) highest = seq;
      }
      if (lowest !== statement.firstSeq) errors.push(`the statement's range starts at seq ${statement.firstSeq}, the bundle at ${lowest}`);
      if (highest !== statement.lastSeq) errors.push(`the statement's range ends at seq ${statement.lastSeq}, the bundle at ${highest} (events removed from the end)`);
      if (new Set(seqs).size !== statement.count) errors.push(`the statement counts ${statement.count} events, the bundle holds ${new Set(seqs).size}`);
      const head = chain.entries.find((entry) => entry.seq === statement.headSeq);
      if (head && head.hash !== statement.headHash) errors.push('the head event differs from the signed head');
    }
    verdicts.push({ agentId: chain.agentId, chainId: chain.chainId, statement, missing, ok: errors.length === 0, errors });
  }
  for (const [key, { statement, errors }] of statements) {
    if (byChain.has(key)) continue;
    const [agentId, chainId] = JSON.parse(key) as [string, string];
    const found = [...errors, statement ? `the statement covers ${statement.count} events of this chain, the bundle holds none` : 'chain statement without events'];
    verdicts.push({ agentId, chainId, statement, missing: [], ok: false, errors: found });
  }
  return verdicts;
}
