/**
 * Offline verification of an evidence bundle, trusting nothing but keys: the log's verifier key
 * (C2SP vkey) and the agents' public keys (docs/spec.md section 13.1). The report names exactly what
 * failed, per event, per chain and for the bundle as a whole, so an auditor can tell a forged
 * signature from a missing proof from a truncated chain from a replayed event.
 */
import { chainKey } from '../chain/verify-chains.js';
import type { VerifierKey } from '../note/index.js';
import { FactoError } from '../errors.js';
import { parseStrictJson } from '../strict-json.js';
import { checkExportManifest } from './export-manifest.js';
import { BUNDLE_FORMAT, type Checkpointed, type EvidenceBundle } from './types.js';
import { verifyBundleChains, type ChainVerdict } from './verify-bundle-chains.js';
import { BOM_REASON, invalidJsonAt, invalidUtf8Offset, notUtf8Reason, strictRefusal } from './json-pieces.js';
import { checkTrustedAgentKeys, openBundle } from './open-bundle.js';
import { erasuresNamingNoEvent } from './verify-erasures.js';
import { isReadableRecord, unreadableEvent, verifyEvent, type EventVerdict } from './verify-events.js';
import { bundleMemberErrors, sameEventError } from './bundle-members.js';

export type { ChainVerdict } from './verify-bundle-chains.js';
export type { ContentStatus, EventVerdict, KeyTrust } from './verify-events.js';

export interface TrustedKeys {
  /** The log's C2SP verifier key(s), `name+keyid+base64`. */
  readonly log: string | readonly string[];
  /** Agent public keys (raw 32 bytes, or hex) by agent id. */
  readonly agents?: Readonly<Record<string, readonly (string | Uint8Array)[]>>;
}

export interface VerifyBundleOptions {
  readonly trustedKeys: TrustedKeys;
  /** Accept agent keys carried by the bundle itself. Off by default: the bundle cannot vouch for its own keys. */
  readonly trustBundleKeys?: boolean;
}

export interface BundleReport {
  readonly ok: boolean;
  /** As it opened with the log key, or not; kept when the bundle turns out malformed after it was opened. */
  readonly checkpoint: { readonly ok: boolean; readonly origin?: string; readonly treeSize?: number; readonly rootHash?: string };
  /** Every event's verdict (in a malformed bundle, those checked before it broke down). */
  readonly events: readonly EventVerdict[];
  readonly chains: readonly ChainVerdict[];
  /**
   * Problems of the bundle as a whole: keys, checkpoint, manifest, erasure entries, duplicated events;
   * for a malformed bundle, those found before it broke down, then what is malformed, last.
   */
  readonly errors: readonly string[];
}

/**
 * What verification had established when the bundle turned out malformed: the checkpoint as it
 * opened (or did not), the problems found by then and the events checked. A malformed report keeps
 * it, as verifyBundleStream's does, so a bundle broken in one event does not read as one whose
 * checkpoint failed the log key.
 */
interface Established {
  checkpoint: BundleReport['checkpoint'];
  readonly errors: string[];
  events: readonly EventVerdict[];
}

function malformed(reason: string, established: Established): BundleReport {
  return { ok: false, checkpoint: established.checkpoint, events: established.events, chains: [], errors: [...established.errors, reason] };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Reads a bundle as a verifier must: UTF-8 (RFC 8259 section 8.1: bytes that are not are refused,
 * never replaced by U+FFFD) without a byte order mark, strict JSON, a duplicate member name anywhere refused (section 13).
 * Give it the bytes as read when there are any, so that their encoding is checked too; a string
 * must be Unicode text (no lone surrogate, which no UTF-8 can carry). Throws a FactoError naming
 * the byte (of the text's UTF-8) where it is malformed, as verifyBundleStream does; verifyBundle
 * takes the result.
 */
export function parseEvidenceBundle(input: string | Uint8Array): EvidenceBundle {
  let text = input;
  const bom = input instanceof Uint8Array ? input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf : typeof input === 'string' && input.charCodeAt(0) === 0xfeff;
  if (bom) throw new FactoError('invalid_argument', `${invalidJsonAt(0)}: ${BOM_REASON}`);
  if (input instanceof Uint8Array) {
    try {
      text = utf8Decoder.decode(input);
    } catch {
      const at = invalidUtf8Offset(input);
      throw new FactoError('invalid_argument', `${invalidJsonAt(at)}: ${notUtf8Reason(input[at])}`);
    }
  } else if (typeof text === 'string') {
    const surrogate = LONE_SURROGATE.exec(text);
    if (surrogate !== null) {
      const at = new TextEncoder().encode(text.slice(0, surrogate.index)).length;
      throw new FactoError('invalid_argument', `${invalidJsonAt(at)}: a lone surrogate, which is not Unicode text and cannot be UTF-8 (RFC 8259 section 8.1)`);
    }
  }
  try {
    return parseStrictJson(text as string) as EvidenceBundle;
  } catch (error) {
    const refusal = strictRefusal(error, text as string, 0, 0);
    throw refusal === undefined ? error : new FactoError('invalid_argument', refusal);
  }
}

/**
 * Never throws on what it is given: a bundle is untrusted input, and a malformed one gets a report
 * that says so (a wrong type of trustedKeys, the caller's own input, is a TypeError).
 */
export function verifyBundle(bundle: EvidenceBundle, options: VerifyBundleOptions): BundleReport {
  if (typeof options?.trustedKeys !== 'object' || options.trustedKeys === null) throw new TypeError('verifyBundle: options.trustedKeys is required');
  checkTrustedAgentKeys(options.trustedKeys, 'verifyBundle');
  const established: Established = { checkpoint: { ok: false }, errors: [], events: [] };
  try {
    return verifyWellFormedBundle(bundle, options, established);
  } catch (error) {
    return malformed(`malformed bundle: ${(error as Error).message}`, established);
  }
}

function verifyWellFormedBundle(bundle: EvidenceBundle, options: VerifyBundleOptions, established: Established): BundleReport {
  const { errors } = established;
  if (typeof bundle !== 'object' || bundle === null || bundle.format !== BUNDLE_FORMAT || !Array.isArray(bundle.events) || !Array.isArray(bundle.chains)) {
    return malformed(`not a ${BUNDLE_FORMAT} document`, established);
  }
  // Absent, it is a missing member (reported below); present, it is an array, null included.
  if (bundle.keys !== undefined && !Array.isArray(bundle.keys)) return malformed('keys must be an array', established);
  if (typeof bundle.checkpoint !== 'string') return malformed('checkpoint must be a signed note (a string)', established);
  for (const error of bundleMemberErrors(Object.keys(bundle), bundle.chains, bundle.keys)) errors.push(error);
  const { logKeys, checkpointed, checkpoint, context, erasures } = openBundle(bundle, options, errors);
  established.checkpoint = checkpoint;
  const events = bundle.events.map((event) => {
    try {
      return verifyEvent(event, context);
    } catch (error) {
      return unreadableEvent(event, `malformed event: ${(error as Error).message}`);
    }
  });
  established.events = events;
  for (const error of duplicateErrors(bundle)) errors.push(error);
  for (const error of erasuresNamingNoEvent(erasures, new Set(events.flatMap((event) => (event.erasedBy === null ? [] : [event.erasedBy]))))) errors.push(error);
  const chains = verifyBundleChains(bundle, events, logKeys, checkpointed);
  for (const error of checkManifest(bundle, logKeys, checkpointed)) errors.push(error);
  const ok = errors.length === 0 && checkpoint.ok && events.every((event) => event.ok) && chains.every((chain) => chain.ok);
  return { ok, checkpoint, events, chains, errors };
}

/** A bundle holds each event once: a second copy (same record hash, facto_id or leaf) is a replay. */
function duplicateErrors(bundle: EvidenceBundle): string[] {
  const errors: string[] = [];
  const seen = { hash: new Map<unknown, number>(), facto_id: new Map<unknown, number>(), leaf: new Map<unknown, number>() };
  bundle.events.forEach((event, index) => {
    if (typeof event !== 'object' || event === null) return;
    const identities: [keyof typeof seen, unknown][] = [
      ['hash', event.hash],
      ['facto_id', isReadableRecord(event.record) ? event.record.facto_id : undefined],
      ['leaf', event.leaf_index],
    ];
    for (const [kind, value] of identities) {
      if (value === undefined) continue;
      const first = seen[kind].get(value);
      if (first !== undefined) errors.push(sameEventError(first, index, kind));
      else seen[kind].set(value, index);
    }
  });
  return [...new Set(errors)];
}

/** The manifest check (export-manifest.ts) on a parsed bundle. */
function checkManifest(bundle: EvidenceBundle, logKeys: VerifierKey[], checkpointed: Checkpointed | undefined): string[] {
  const held = new Map<string, Set<number>>();
  for (const event of bundle.events) {
    const record = event?.record;
    if (!isReadableRecord(record)) continue;
    const key = chainKey(record.agent_id, record.chain_id);
    held.set(key, (held.get(key) ?? new Set()).add(record.seq));
  }
  const chains = new Map([...held].map(([key, seqs]) => [key, seqs.size]));
  const erasures = Array.isArray(bundle.erasures) ? bundle.erasures.length : 0;
  return checkExportManifest({ manifest: bundle.manifest, query: bundle.query, events: bundle.events.length, erasures, chains }, logKeys, checkpointed);
}
