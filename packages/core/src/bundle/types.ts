/**
 * The evidence bundle, format facto.bundle.v1: one JSON document that proves a set of events offline,
 * trusting nothing but keys. docs/spec.md, "Evidence bundle".
 */
import type { ErasureEntry } from '../erasure/erasure-entry.js';
import type { ContentDisclosure } from '../record/content.js';
import type { FactoRecord } from '../record/record.js';

export const BUNDLE_FORMAT = 'facto.bundle.v1';

export interface BundleEvent {
  readonly leaf_index: number;
  readonly record: FactoRecord;
  /** Record hash, lowercase hex. */
  readonly hash: string;
  /** Ed25519 signature over the hash by the agent's key, lowercase hex. */
  readonly signature: string;
  /** RFC 9162 inclusion proof against the bundle's checkpoint, lowercase hex hashes. */
  readonly inclusion_proof: readonly string[];
  /** Content values that may still be shown, each checkable against its commitment. */
  readonly disclosures: readonly ContentDisclosure[];
}

export interface BundleKey {
  readonly agent_id: string;
  readonly key_id: string;
  /** Raw 32-byte Ed25519 public key, lowercase hex. */
  readonly public_key: string;
}

export interface BundleChain {
  readonly agent_id: string;
  readonly chain_id: string;
  /** A C2SP signed note by the log key stating the range of the chain this bundle covers. */
  readonly statement: string;
}

/** An erasure entry (section 12) of the log, carried so a verifier can tell erased content from withheld content. */
export interface BundleErasure {
  readonly leaf_index: number;
  readonly entry: ErasureEntry;
  /** Erasure hash, lowercase hex (the leaf data). */
  readonly hash: string;
  /** Ed25519 signature over the hash by the log key, lowercase hex. */
  readonly signature: string;
  readonly inclusion_proof: readonly string[];
}

export interface EvidenceBundle {
  readonly format: typeof BUNDLE_FORMAT;
  /** The log's C2SP verifier key (name+keyid+base64), for information: verification uses the caller's trusted keys. */
  readonly log_key: string;
  /** The C2SP signed checkpoint all inclusion proofs refer to. */
  readonly checkpoint: string;
  readonly keys: readonly BundleKey[];
  readonly events: readonly BundleEvent[];
  readonly chains: readonly BundleChain[];
  /** Every erasure entry of the log (within the checkpoint) that names an event of the bundle. */
  readonly erasures?: readonly BundleErasure[];
  /** A C2SP signed note by the log key listing every chain and event count the export holds. */
  readonly manifest: string;
  /** What was asked for (agent, chain, time range); the manifest signs the same. */
  readonly query?: Readonly<Record<string, string>>;
}

/** Why the checks that need the checkpoint were not made; the checkpoint's own problem says why it did not open. */
export const CHECKPOINT_NOT_OPENED = 'the checkpoint did not open with the log key';

/** The checkpoint's origin and tree size, what statements and the manifest must agree with. */
export interface Checkpointed {
  readonly origin: string;
  readonly treeSize: number;
}
