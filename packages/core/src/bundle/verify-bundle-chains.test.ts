import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../crypto/index.js';
import { encodeVerifierKey, parseVerifierKey, signNote } from '../note/index.js';
import { formatChainStatement } from './chain-statement.js';
import type { BundleEvent, EvidenceBundle } from './types.js';
import { verifyBundleChains } from './verify-bundle-chains.js';
import type { EventVerdict } from './verify-events.js';

const ORIGIN = 'facto.test/log';

/**
 * The chain judgement alone, on a chain far longer than any fixture signs: hashes are stand-ins (this
 * step compares them, it does not compute them), so 200,000 events cost no signatures.
 */
describe('verifyBundleChains on a long chain', () => {
  const length = 200_000;
  const hashOf = (seq: number) => seq.toString(16).padStart(64, '0');
  const events = Array.from({ length }, (_, seq) => ({
    leaf_index: seq,
    hash: hashOf(seq + 1),
    record: { agent_id: 'agent-1', chain_id: 'long', seq, prev_hash: hashOf(seq), dropped: 0 },
  })) as unknown as BundleEvent[];
  const verdicts = events.map(() => ({ hash: true })) as unknown as EventVerdict[];
  const log = generateKeyPair();
  const signer = { name: ORIGIN, privateKey: log.privateKey };
  const logKeys = [parseVerifierKey(encodeVerifierKey(ORIGIN, log.publicKey))];

  function bundleWith(statement: { lastSeq: number; count: number }): EvidenceBundle {
    const text = formatChainStatement({ origin: ORIGIN, agentId: 'agent-1', chainId: 'long', firstSeq: 0, ...statement, headSeq: length - 1, headHash: hashOf(length), treeSize: length });
    return { events, chains: [{ agent_id: 'agent-1', chain_id: 'long', statement: signNote(text, [signer]) }], query: {} } as unknown as EvidenceBundle;
  }

  it('judges it without exhausting the call stack', () => {
    const [verdict] = verifyBundleChains(bundleWith({ lastSeq: length - 1, count: length }), verdicts, logKeys, { origin: ORIGIN, treeSize: length });
    expect(verdict!.errors).toEqual([]);
    expect(verdict!.ok).toBe(true);
  });

  it('still compares its range with the statement', () => {
    const [verdict] = verifyBundleChains(bundleWith({ lastSeq: length, count: length + 1 }), verdicts, logKeys, { origin: ORIGIN, treeSize: length });
    expect(verdict!.ok).toBe(false);
    expect(verdict!.errors).toContain(`the statement's range ends at seq ${length}, the bundle at ${length - 1} (events removed from the end)`);
  });
});
