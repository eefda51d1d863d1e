/**
 * Builders for the store conformance suite: realistic batches (events with their Merkle nodes from
 * the real tree code, log entries, incidents, keys, checkpoints) so every driver is tested on data
 * shaped like what the collector writes.
 */
import { createHash } from 'node:crypto';
import { fromHex, hashLeaf, MerkleTree } from '@facto/core';
import type { AgentKey, Batch, Checkpoint, ForwardEdit, LogEntry, NewEvent, NewForward, NewIncident, Store, UnverifiedSpan } from './types.js';

export type EventDraft = Omit<NewEvent, 'leafIndex'>;
export type LogEntryDraft = Omit<LogEntry, 'leafIndex'>;

export interface BatchParts {
  events?: readonly EventDraft[];
  logEntries?: readonly LogEntryDraft[];
  linkUpdates?: Batch['linkUpdates'];
  incidents?: readonly NewIncident[];
  keys?: readonly AgentKey[];
  unverified?: readonly UnverifiedSpan[];
  /** Erasures by the position of the erasure entry in this batch's logEntries. */
  erasures?: readonly { factoId: string; entry: number }[];
  forwards?: readonly NewForward[];
  forwardEdits?: readonly ForwardEdit[];
}

export const hex = (label: string) => createHash('sha256').update(label).digest('hex');
let nextSerial = 0;

/**
 * Builds batches as the sequencer would: leaves numbered from the current size, nodes from a real
 * tree. Exported for drivers' own tests (a full disk, a crash) that need realistic batches too.
 */
export class LogBuilder {
  #leafHashes: Uint8Array[] = [];

  /** A valid-looking event; unique across every builder in the process, so two builders never collide by accident. */
  event(overrides: Partial<EventDraft> = {}): EventDraft {
    const serial = nextSerial++;
    const { agentId = 'agent-a', chainId = 'chain-1', seq = serial } = overrides;
    const hash = overrides.hash ?? hex(`event ${serial}`);
    return {
      factoId: `evt_${hash.slice(0, 26)}`, agentId, chainId, seq, hash,
      prevHash: seq === 0 ? '0'.repeat(64) : hex(`previous of ${hash}`),
      keyId: `${agentId}-key-1`, signature: hex(`signature ${hash}`).repeat(2), dropped: 0,
      traceId: hex(`trace ${serial}`).slice(0, 32), spanId: hex(`span ${serial}`).slice(0, 16),
      name: `chat gpt-4o · «${serial}» 💬`, actionType: 'chat',
      startTimeUnixNano: '1767225600123456789', endTimeUnixNano: '1767225600987654321', receivedAt: 1_767_225_600_000 + serial,
      recordJson: JSON.stringify({ agent_id: agentId, chain_id: chainId, seq, text: 'naïve ✓ "quoted"\n' }),
      contextJson: JSON.stringify({ resource: [['service.name', { stringValue: 'agent' }]], scope: { name: 'facto', version: '0.1.0' } }),
      disclosuresJson: JSON.stringify([{ key: 'gen_ai.prompt', value: `prompt ${serial}`, salt: hex(`salt ${serial}`).slice(0, 32) }]),
      salt: hex(`span salt ${serial}`).slice(0, 32),
      linkStatus: seq === 0 ? 'genesis' : 'linked',
      erasedBy: null,
      ...overrides,
    };
  }

  logEntry(overrides: Partial<LogEntryDraft> = {}): LogEntryDraft {
    const hash = hex(`entry ${nextSerial++}`);
    return { kind: 'erasure', hash, entryJson: JSON.stringify({ erase: hash }), signature: hex(`collector ${hash}`).repeat(2), createdAt: 1_767_300_000_000, ...overrides };
  }

  /** The next batch, without advancing: call accept() once the store took it. */
  batch(parts: BatchParts = {}): Batch {
    const start = this.#leafHashes.length;
    const events = (parts.events ?? []).map((event, position) => ({ ...event, leafIndex: start + position }));
    const entryStart = start + events.length;
    const logEntries = (parts.logEntries ?? []).map((entry, position) => ({ ...entry, leafIndex: entryStart + position }));
    const { nodes } = this.#tree().append([...events, ...logEntries].map((leaf) => hashLeaf(fromHex(leaf.hash))));
    const { linkUpdates = [], incidents = [], keys = [], unverified = [] } = parts;
    const erasures = (parts.erasures ?? []).map(({ factoId, entry }) => ({ factoId, erasedBy: entryStart + entry }));
    const batch: Batch = { expectedTreeSize: start, newTreeSize: start + events.length + logEntries.length, events, logEntries, nodes, linkUpdates, incidents, keys, unverified, erasures };
    return { ...batch, ...(parts.forwards === undefined ? {} : { forwards: parts.forwards }), ...(parts.forwardEdits === undefined ? {} : { forwardEdits: parts.forwardEdits }) };
  }

  accept(batch: Batch): void {
    for (const leaf of [...batch.events, ...batch.logEntries]) this.#leafHashes.push(hashLeaf(fromHex(leaf.hash)));
  }

  async commit(store: Store, parts: BatchParts = {}): Promise<Batch> {
    const batch = this.batch(parts);
    await store.commitBatch(batch);
    this.accept(batch);
    return batch;
  }

  root(): Uint8Array {
    return this.#tree().root();
  }

  /** Rebuilt from the accepted leaves each time, so a batch that was refused leaves no trace in the builder. */
  #tree(): MerkleTree {
    const tree = new MerkleTree();
    tree.append(this.#leafHashes);
    return tree;
  }
}

/** A new incident; its fingerprint follows kind, agent and detail unless given, so distinct fixtures stay distinct. */
export function incident(overrides: Partial<NewIncident> = {}): NewIncident {
  const base = { kind: 'bad_signature', agentId: 'agent-a', chainId: 'chain-1', seq: 3, factoId: 'evt_x', detail: 'signature does not verify', evidenceJson: '{"signature":"00"}', createdAt: 1_767_225_700_000, ...overrides } as const;
  return { ...base, fingerprint: overrides.fingerprint ?? hex(`incident ${base.kind} ${base.agentId} ${base.detail}`) };
}

export function agentKey(overrides: Partial<AgentKey> = {}): AgentKey {
  return { agentId: 'agent-a', keyId: 'agent-a-key-1', publicKey: hex('public key a'), notBefore: null, notAfter: null, revokedAt: null, source: 'config', createdAt: 1_767_000_000_000, ...overrides };
}

export function unverifiedSpan(): UnverifiedSpan {
  return { traceId: hex('unsigned trace').slice(0, 32), spanId: hex('unsigned span').slice(0, 16), name: 'unsigned span', spanJson: '{"name":"unsigned span"}', receivedAt: 1_767_225_800_000 };
}

/** A request queued for forwarding; `label` makes its body distinct. */
export function forwardRequest(label: string, overrides: Partial<NewForward> = {}): NewForward {
  return { encoding: 'protobuf', body: new Uint8Array(Buffer.from(`otlp request ${label} \u0000\u0001 ✓`)), keepJson: null, queuedAt: 1_767_500_000_000, factoIds: [], ...overrides };
}

export function checkpoint(treeSize: number, overrides: Partial<Checkpoint> = {}): Checkpoint {
  const rootHash = hex(`root ${treeSize}`);
  return { treeSize, rootHash, note: `facto.example/log\n${treeSize}\n${Buffer.from(rootHash, 'hex').toString('base64')}\n\n— facto.example/log AAAA\n`, createdAt: 1_767_400_000_000 + treeSize, ...overrides };
}
