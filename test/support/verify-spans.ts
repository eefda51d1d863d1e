/**
 * Verifies decoded spans with @facto/core alone: each span's record is rebuilt from what arrived,
 * its hash recomputed and its signature checked; the chains are checked link by link.
 */
import { openSpan, verifyChains, verifyRecordSignature, toHex, type ChainReport, type OpenedSpan, type SpanFields } from '@facto/core';

export interface VerifiedSpans {
  readonly opened: OpenedSpan[];
  readonly chains: ChainReport[];
  /** Spans whose hash or signature failed. */
  readonly failures: string[];
}

export function verifySpans(spans: SpanFields[], publicKey: Uint8Array): VerifiedSpans {
  const failures: string[] = [];
  const opened = spans.map((span) => {
    const result = openSpan(span);
    if (!result.hashMatches) failures.push(`${span.name}: hash mismatch`);
    if (!verifyRecordSignature(result.hash, result.signature, publicKey)) failures.push(`${span.name}: bad signature`);
    return result;
  });
  const chains = verifyChains(
    opened.map(({ record, hash }) => ({ agentId: record.agent_id, chainId: record.chain_id, seq: record.seq, prevHash: record.prev_hash, hash: toHex(hash), dropped: record.dropped })),
  );
  return { opened, chains, failures };
}
