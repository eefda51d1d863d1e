/**
 * Chain verification. Each (agent_id, chain_id) is a hash chain: seq counts from 0 and every record
 * names the hash of the one before (64 zeros at seq 0). Given the entries a verifier holds, in any
 * order, this reports per chain what holds and what does not. It checks links only; signatures are
 * checked where the entries come from (collector ingest, bundle verification).
 *
 * Gaps are told apart by the `dropped` counter: a signer that had to drop signed spans raises it, so
 * a later record declares the loss. The counter is cumulative, so a declaration survives even when
 * the record that first carried it is lost. The walk (docs/spec.md section 10) keeps a count of drops
 * already accounted for: a record's own counter counts drops that happened before it was signed, so
 * at each record that count rises to at least its counter (those drops belong to lower seqs and
 * cannot explain a gap after it); a missing run of m entries is declared when the highest counter
 * after it exceeds the count by at least m.
 *
 * A partial view of a chain (an export from a point in time onwards) starts at its first record: the
 * seqs before it are outside the view, not a gap, and the drops its first record declares are
 * already accounted for, so they can never cover a gap inside the view.
 */
import { ZERO_HASH_HEX } from '../record/constants.js';

export interface ChainEntry {
  readonly agentId: string;
  readonly chainId: string;
  readonly seq: number;
  /** Lowercase hex. */
  readonly prevHash: string;
  readonly hash: string;
  readonly dropped: number;
}

export interface ChainGap {
  /** First missing seq. */
  readonly fromSeq: number;
  /** Last missing seq. */
  readonly toSeq: number;
  readonly declared: boolean;
}

export interface ChainReport {
  readonly agentId: string;
  readonly chainId: string;
  /** Distinct seq values present. */
  readonly length: number;
  /** The highest seq present and its hash (the first one, if forked). */
  readonly head: { readonly seq: number; readonly hash: string } | null;
  readonly validLinks: number;
  /** Entries whose prev_hash is not the hash of the entry before (both present). */
  readonly badLinks: readonly { readonly seq: number; readonly expected: string; readonly found: string }[];
  readonly gaps: readonly ChainGap[];
  /** Same seq, different hashes: the signer's key signed two histories. */
  readonly forks: readonly { readonly seq: number; readonly hashes: readonly string[] }[];
  /** Exact duplicates (same seq and hash) beyond the first copy. */
  readonly replays: readonly { readonly seq: number; readonly hash: string; readonly copies: number }[];
  /** No bad links, no forks, no undeclared gaps. */
  readonly intact: boolean;
}

export function chainKey(agentId: string, chainId: string): string {
  return JSON.stringify([agentId, chainId]);
}

export interface VerifyChainsOptions {
  /**
   * The entries are a partial view of each chain, from its first entry on (a time-window export):
   * no gap is reported before the first entry. Default false: a chain starts at seq 0.
   */
  readonly partial?: boolean;
}

export function verifyChains(entries: Iterable<ChainEntry>, options: VerifyChainsOptions = {}): ChainReport[] {
  const chains = new Map<string, ChainEntry[]>();
  for (const entry of entries) {
    const key = chainKey(entry.agentId, entry.chainId);
    const list = chains.get(key);
    if (list) list.push(entry);
    else chains.set(key, [entry]);
  }
  return [...chains.values()].map((list) => verifyOneChain(list, options.partial ?? false));
}

function verifyOneChain(entries: ChainEntry[], partial: boolean): ChainReport {
  const first = entries[0]!;
  const bySeq = new Map<number, ChainEntry[]>();
  for (const entry of entries) {
    const list = bySeq.get(entry.seq);
    if (list) list.push(entry);
    else bySeq.set(entry.seq, [entry]);
  }
  const seqs = [...bySeq.keys()].sort((left, right) => left - right);

  const forks: { seq: number; hashes: string[] }[] = [];
  const replays: { seq: number; hash: string; copies: number }[] = [];
  const distinctAt = new Map<number, ChainEntry[]>();
  for (const seq of seqs) {
    const unique = new Map<string, { entry: ChainEntry; copies: number }>();
    for (const entry of bySeq.get(seq)!) {
      const seen = unique.get(entry.hash);
      if (seen) seen.copies++;
      else unique.set(entry.hash, { entry, copies: 1 });
    }
    for (const { entry, copies } of unique.values()) if (copies > 1) replays.push({ seq, hash: entry.hash, copies: copies - 1 });
    if (unique.size > 1) forks.push({ seq, hashes: [...unique.keys()] });
    distinctAt.set(seq, [...unique.values()].map(({ entry }) => entry));
  }

  // Highest dropped counter at or after each position, for gap declarations that arrive late.
  const suffixDropped: number[] = new Array(seqs.length);
  let highest = 0;
  for (let index = seqs.length - 1; index >= 0; index--) {
    for (const entry of distinctAt.get(seqs[index]!)!) highest = Math.max(highest, entry.dropped);
    suffixDropped[index] = highest;
  }

  const badLinks: { seq: number; expected: string; found: string }[] = [];
  const gaps: ChainGap[] = [];
  let validLinks = 0;
  let accounted = 0;
  // A partial view starts at its first entry, as if the one before it were present.
  let previousSeq = partial && seqs.length > 0 ? seqs[0]! - 1 : -1;
  seqs.forEach((seq, index) => {
    const missing = seq - previousSeq - 1;
    if (missing > 0) {
      const declared = suffixDropped[index]! - accounted >= missing;
      if (declared) accounted += missing;
      gaps.push({ fromSeq: previousSeq + 1, toSeq: seq - 1, declared });
    } else if (!(partial && index === 0)) {
      const expectedHashes = seq === 0 ? [ZERO_HASH_HEX] : distinctAt.get(previousSeq)!.map((entry) => entry.hash);
      for (const entry of distinctAt.get(seq)!) {
        if (expectedHashes.includes(entry.prevHash)) validLinks++;
        else badLinks.push({ seq, expected: expectedHashes[0]!, found: entry.prevHash });
      }
    }
    // This record's counter counts drops before it was signed: lower seqs only.
    for (const entry of distinctAt.get(seq)!) accounted = Math.max(accounted, entry.dropped);
    previousSeq = seq;
  });

  const headSeq = seqs[seqs.length - 1];
  return {
    agentId: first.agentId,
    chainId: first.chainId,
    length: seqs.length,
    head: headSeq === undefined ? null : { seq: headSeq, hash: distinctAt.get(headSeq)![0]!.hash },
    validLinks,
    badLinks,
    gaps,
    forks,
    replays,
    intact: badLinks.length === 0 && forks.length === 0 && gaps.every((gap) => gap.declared),
  };
}
