/**
 * Offline verification of an evidence bundle, trusting nothing but keys: the log's verifier key
 * (C2SP vkey) and the agents' public keys (docs/spec.md section 13.1). The report names exactly what
 * failed, per event, per chain and for the bundle as a whole, so an auditor can tell a forged
 * signature from a missing proof from a truncated chain from a replayed event.
 */
import { fromHex, toHex } from '../bytes.js';
import { canonicalize } from '../canonicalize.js';
import { chainKey } from '../chain/verify-chains.js';
import { openCheckpoint, openNote, parseVerifierKey, type VerifierKey } from '../note/index.js';
import { InclusionMemo } from '../merkle/index.js';
import { parseStrictJson } from '../strict-json.js';
import { parseExportManifest, type ExportManifest } from './export-manifest.js';
import { BUNDLE_FORMAT, type EvidenceBundle } from './types.js';
import { verifyBundleChains, type ChainVerdict } from './verify-bundle-chains.js';
import { verifyBundleErasures } from './verify-erasures.js';
import { isRecord, unreadableEvent, verifyEvent, type EventVerdict } from './verify-events.js';

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
  readonly checkpoint: { readonly ok: boolean; readonly origin?: string; readonly treeSize?: number; readonly rootHash?: string };
  readonly events: readonly EventVerdict[];
  readonly chains: readonly ChainVerdict[];
  /** Problems of the bundle as a whole: keys, checkpoint, manifest, erasure entries, duplicated events. */
  readonly errors: readonly string[];
}

function toKeyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? fromHex(key, 'agent public key', 32) : key;
}

function malformed(reason: string): BundleReport {
  return { ok: false, checkpoint: { ok: false }, events: [], chains: [], errors: [reason] };
}

/**
 * Reads bundle text as a verifier must: strict JSON, a duplicate member name anywhere is refused
 * (section 13). Throws a FactoError naming the offset; verifyBundle takes the result.
 */
export function parseEvidenceBundle(text: string): EvidenceBundle {
  return parseStrictJson(text) as EvidenceBundle;
}

/**
 * Never throws on what it is given: a bundle is untrusted input, and a malformed one gets a report
 * that says so (a wrong type of trustedKeys, the caller's own input, is a TypeError).
 */
export function verifyBundle(bundle: EvidenceBundle, options: VerifyBundleOptions): BundleReport {
  if (typeof options?.trustedKeys !== 'object' || options.trustedKeys === null) throw new TypeError('verifyBundle: options.trustedKeys is required');
  try {
    return verifyWellFormedBundle(bundle, options);
  } catch (error) {
    return malformed(`malformed bundle: ${(error as Error).message}`);
  }
}

function verifyWellFormedBundle(bundle: EvidenceBundle, options: VerifyBundleOptions): BundleReport {
  const errors: string[] = [];
  if (typeof bundle !== 'object' || bundle === null || bundle.format !== BUNDLE_FORMAT || !Array.isArray(bundle.events) || !Array.isArray(bundle.chains)) {
    return malformed(`not a ${BUNDLE_FORMAT} document`);
  }
  if (!Array.isArray(bundle.keys ?? [])) return malformed('keys must be an array');
  if (typeof bundle.checkpoint !== 'string') return malformed('checkpoint must be a signed note (a string)');
  const logKeys: VerifierKey[] = [];
  for (const text of typeof options.trustedKeys.log === 'string' ? [options.trustedKeys.log] : options.trustedKeys.log) {
    try {
      logKeys.push(parseVerifierKey(text));
    } catch (error) {
      errors.push(`trusted log key unusable: ${(error as Error).message}`);
    }
  }

  let treeSize = -1;
  let root: Uint8Array | undefined;
  let origin = '';
  try {
    const opened = openCheckpoint(bundle.checkpoint, logKeys);
    treeSize = opened.checkpoint.treeSize;
    root = opened.checkpoint.rootHash;
    origin = opened.checkpoint.origin;
  } catch (error) {
    errors.push(`checkpoint: ${(error as Error).message}`);
  }
  const checkpoint = root ? { ok: true, origin, treeSize, rootHash: toHex(root) } : { ok: false };

  const trusted = new Map<string, Uint8Array[]>();
  for (const [agentId, keys] of Object.entries(options.trustedKeys.agents ?? {})) trusted.set(agentId, keys.map(toKeyBytes));
  const bundleKeys = new Map<string, { agentId: string; publicKey: Uint8Array }>();
  for (const key of bundle.keys ?? []) {
    try {
      bundleKeys.set(key.key_id, { agentId: key.agent_id, publicKey: fromHex(key.public_key, 'public_key', 32) });
    } catch {
      errors.push(`bundle key ${key?.key_id}: malformed public key`);
    }
  }

  const erasures = verifyBundleErasures(bundle.erasures, logKeys, treeSize, root);
  for (const error of erasures.errors) errors.push(error);
  const context = { trusted, bundleKeys, trustBundleKeys: options.trustBundleKeys ?? false, treeSize, root, erasedBy: erasures.erasedBy, inclusionMemo: new InclusionMemo() };
  const events = bundle.events.map((event) => {
    try {
      return verifyEvent(event, context);
    } catch (error) {
      return unreadableEvent(event, `malformed event: ${(error as Error).message}`);
    }
  });
  for (const error of duplicateErrors(bundle)) errors.push(error);
  const chains = verifyBundleChains(bundle, events, logKeys, { origin, treeSize });
  for (const error of checkManifest(bundle, logKeys, origin, treeSize)) errors.push(error);
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
      ['facto_id', isRecord(event.record) ? event.record.facto_id : undefined],
      ['leaf', event.leaf_index],
    ];
    for (const [kind, value] of identities) {
      if (value === undefined) continue;
      const first = seen[kind].get(value);
      if (first !== undefined) errors.push(`events ${first} and ${index} are the same event (same ${kind === 'leaf' ? 'leaf index' : kind}): a bundle holds each event once`);
      else seen[kind].set(value, index);
    }
  });
  return [...new Set(errors)];
}

/** The manifest must be signed by the log and list exactly the chains, counts, events and erasures the bundle holds. */
function checkManifest(bundle: EvidenceBundle, logKeys: VerifierKey[], origin: string, treeSize: number): string[] {
  if (typeof bundle.manifest !== 'string') return ['no export manifest: a chain removed together with its statement could not be detected'];
  let manifest: ExportManifest;
  try {
    manifest = parseExportManifest(openNote(bundle.manifest, logKeys).text);
  } catch (error) {
    return [`manifest: ${(error as Error).message}`];
  }
  const errors: string[] = [];
  if (manifest.origin !== origin) errors.push('manifest: from another log');
  if (manifest.treeSize !== treeSize) errors.push(`manifest: made at tree size ${manifest.treeSize}, the checkpoint is at ${treeSize}`);
  if (canonicalize(manifest.query) !== canonicalize(bundle.query ?? {})) errors.push("manifest: the bundle's query differs from the signed one");
  if (manifest.events !== bundle.events.length) errors.push(`manifest: lists ${manifest.events} events, the bundle holds ${bundle.events.length}`);
  const erasures = Array.isArray(bundle.erasures) ? bundle.erasures.length : 0;
  if (manifest.erasures !== erasures) errors.push(`manifest: lists ${manifest.erasures} erasure entries, the bundle holds ${erasures}`);
  const held = new Map<string, Set<number>>();
  for (const event of bundle.events) {
    const record = event?.record;
    if (!isRecord(record)) continue;
    const key = chainKey(record.agent_id, record.chain_id);
    held.set(key, (held.get(key) ?? new Set()).add(record.seq));
  }
  const listed = new Set<string>();
  for (const chain of manifest.chains) {
    const key = chainKey(chain.agentId, chain.chainId);
    listed.add(key);
    const count = held.get(key)?.size ?? 0;
    if (count !== chain.count) errors.push(`manifest: chain ${chain.agentId}/${chain.chainId} should hold ${chain.count} events, the bundle holds ${count}`);
  }
  for (const key of held.keys()) if (!listed.has(key)) errors.push(`manifest: the bundle holds chain ${key} that the manifest does not list`);
  return errors;
}
