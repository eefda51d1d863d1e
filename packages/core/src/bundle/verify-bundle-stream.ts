/**
 * verifyBundle for bundles too large to hold: the same rules (docs/spec.md section 13.1), the same
 * verdicts and messages, reading the bundle's bytes as a stream, twice. The first pass reads every
 * member but the events (the checkpoint, keys, statements, erasure entries and manifest, which can
 * come in any order); the second checks the events one at a time as they are read, hands each
 * verdict to the caller, and keeps only the packed facts the checks across events need
 * (streamed-events.ts). Memory is therefore one event plus about 120 bytes per event, not the bundle.
 *
 * The report is verifyBundle's, except that it carries the failed events only (every verdict goes to
 * `onEvent`). verify-bundle-stream.test.ts holds the two verifiers to the same reports.
 */
import { fromHex, toHex } from '../bytes.js';
import { canonicalize } from '../canonicalize.js';
import { openCheckpoint, openNote, parseVerifierKey, type VerifierKey } from '../note/index.js';
import { InclusionMemo } from '../merkle/index.js';
import { parseExportManifest, type ExportManifest } from './export-manifest.js';
import { BundleSyntaxError, readBundleEvents, readBundleMembers } from './json-scan.js';
import { openChainStatements, verifyStreamedChains } from './streamed-chains.js';
import { StreamedEvents } from './streamed-events.js';
import { BUNDLE_FORMAT, type BundleChain, type BundleKey } from './types.js';
import type { BundleReport, ChainVerdict, VerifyBundleOptions } from './verify-bundle.js';
import { verifyBundleErasures } from './verify-erasures.js';
import { unreadableEvent, verifyEvent, type EventVerdict } from './verify-events.js';

export interface BundleSource {
  /** A fresh stream of the bundle's bytes, from the start; called twice. */
  open(): AsyncIterable<Uint8Array>;
}

export interface VerifyBundleStreamOptions extends VerifyBundleOptions {
  /** Called with each event's verdict, in bundle order, as soon as the event has been checked. */
  readonly onEvent?: (verdict: EventVerdict, index: number) => void;
  /** Called after each event with the bytes of the bundle read so far (in the second pass). */
  readonly onProgress?: (bytesRead: number) => void;
  /** How many failed verdicts the report keeps (every verdict goes to onEvent). Default 1000. */
  readonly keepFailedEvents?: number;
  /**
   * More trusted agent keys, decided once the bundle's query has been read (for instance: keys the
   * caller gave without naming an agent belong to the agent the signed query names). Added to
   * trustedKeys.agents. What it throws is thrown, not reported.
   */
  readonly agentKeysFor?: (query: unknown) => Readonly<Record<string, readonly (string | Uint8Array)[]>>;
}

export interface StreamedBundleReport {
  readonly ok: boolean;
  readonly checkpoint: BundleReport['checkpoint'];
  /** Events in the bundle (read before a failure, if reading failed). */
  readonly eventCount: number;
  readonly failedEventCount: number;
  /** The first `keepFailedEvents` failed verdicts, in bundle order. */
  readonly failedEvents: readonly EventVerdict[];
  readonly chains: readonly ChainVerdict[];
  /** Problems of the bundle as a whole, as in verifyBundle's report. */
  readonly errors: readonly string[];
}

interface Members {
  readonly format?: unknown;
  readonly checkpoint?: unknown;
  readonly keys?: readonly BundleKey[];
  readonly chains?: readonly BundleChain[];
  readonly erasures?: unknown;
  readonly manifest?: unknown;
  readonly query?: Readonly<Record<string, string>>;
}

class Progress {
  eventCount = 0;
  failedEventCount = 0;
  readonly failedEvents: EventVerdict[] = [];
}

function malformed(reason: string, progress: Progress): StreamedBundleReport {
  const { eventCount, failedEventCount, failedEvents } = progress;
  return { ok: false, checkpoint: { ok: false }, eventCount, failedEventCount, failedEvents, chains: [], errors: [reason] };
}

function toKeyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? fromHex(key, 'agent public key', 32) : key;
}

/**
 * Never throws on what the source holds: malformed text or a malformed bundle gets a report that says
 * so. A failure to read the source itself (a file gone) is thrown, as is a wrong type of trustedKeys.
 */
export async function verifyBundleStream(source: BundleSource, options: VerifyBundleStreamOptions): Promise<StreamedBundleReport> {
  if (typeof options?.trustedKeys !== 'object' || options.trustedKeys === null) throw new TypeError('verifyBundleStream: options.trustedKeys is required');
  const progress = new Progress();
  const opened: (() => Promise<unknown>)[] = [];
  try {
    return await verifyStream(source, options, progress, opened);
  } catch (error) {
    if (error instanceof PassedOn) throw error.cause;
    if (error instanceof BundleSyntaxError) return malformed(`malformed bundle: ${error.message}`, progress);
    return malformed(`malformed bundle: ${(error as Error).message}`, progress);
  } finally {
    for (const close of opened) await close().catch(() => undefined);
  }
}

/** A failure that is not the bundle's (the source could not be read, the caller's callback threw), passed on as it is. */
class PassedOn extends Error {
  constructor(override readonly cause: unknown) {
    super('passed on');
  }
}

/** The source's bytes, with its failures marked, and closed by `close` however far the scan got. */
function reading(source: BundleSource, opened: (() => Promise<unknown>)[]): AsyncIterable<Uint8Array> {
  const iterator = source.open()[Symbol.asyncIterator]();
  opened.push(async () => iterator.return?.());
  return {
    [Symbol.asyncIterator]: () => ({
      async next() {
        try {
          return await iterator.next();
        } catch (error) {
          throw new PassedOn(error);
        }
      },
    }),
  };
}

async function verifyStream(source: BundleSource, options: VerifyBundleStreamOptions, progress: Progress, opened: (() => Promise<unknown>)[]): Promise<StreamedBundleReport> {
  const read = await readBundleMembers(reading(source, opened));
  const bundle = Object.fromEntries(read.members) as Members;
  const errors: string[] = [];
  // Text that is not JSON is refused before anything else, as parseEvidenceBundle refuses it: the
  // events' syntax is checked (the first pass only stepped over them) before calling the shape wrong.
  const refuse = async (reason: string) => {
    for await (const _batch of readBundleEvents(reading(source, opened)));
    return malformed(reason, progress);
  };
  if (!read.isObject || bundle.format !== BUNDLE_FORMAT || read.events !== 'array' || !Array.isArray(bundle.chains)) return refuse(`not a ${BUNDLE_FORMAT} document`);
  if (!Array.isArray(bundle.keys ?? [])) return refuse('keys must be an array');
  if (typeof bundle.checkpoint !== 'string') return refuse('checkpoint must be a signed note (a string)');
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
  if (options.agentKeysFor !== undefined) {
    let more: Readonly<Record<string, readonly (string | Uint8Array)[]>>;
    try {
      more = options.agentKeysFor(bundle.query);
    } catch (error) {
      throw new PassedOn(error);
    }
    for (const [agentId, keys] of Object.entries(more)) trusted.set(agentId, [...(trusted.get(agentId) ?? []), ...keys.map(toKeyBytes)]);
  }
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
  const keep = options.keepFailedEvents ?? 1000;
  const table = new StreamedEvents();
  for await (const batch of readBundleEvents(reading(source, opened))) for (const { event, bytesRead } of batch) {
    let verdict: EventVerdict;
    try {
      verdict = verifyEvent(event as never, context);
    } catch (error) {
      verdict = unreadableEvent(event, `malformed event: ${(error as Error).message}`);
    }
    table.add(event, verdict);
    options.onEvent?.(verdict, progress.eventCount);
    progress.eventCount++;
    if (!verdict.ok) {
      progress.failedEventCount++;
      if (progress.failedEvents.length < keep) progress.failedEvents.push(verdict);
    }
    options.onProgress?.(bytesRead);
  }
  for (const error of table.duplicateErrors()) errors.push(error);
  const partial = typeof bundle.query === 'object' && bundle.query !== null && Object.hasOwn(bundle.query, 'since');
  const chains = verifyStreamedChains(table, openChainStatements(bundle.chains, logKeys, { origin, treeSize }), partial);
  for (const error of checkManifest(bundle, table, logKeys, origin, treeSize)) errors.push(error);
  const ok = errors.length === 0 && checkpoint.ok && progress.failedEventCount === 0 && chains.every((chain) => chain.ok);
  const { eventCount, failedEventCount, failedEvents } = progress;
  return { ok, checkpoint, eventCount, failedEventCount, failedEvents, chains, errors };
}

/** verifyBundle's manifest check, on the packed facts: signed by the log, listing exactly what the bundle holds. */
function checkManifest(bundle: Members, table: StreamedEvents, logKeys: VerifierKey[], origin: string, treeSize: number): string[] {
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
  if (manifest.events !== table.count) errors.push(`manifest: lists ${manifest.events} events, the bundle holds ${table.count}`);
  const erasures = Array.isArray(bundle.erasures) ? bundle.erasures.length : 0;
  if (manifest.erasures !== erasures) errors.push(`manifest: lists ${manifest.erasures} erasure entries, the bundle holds ${erasures}`);
  const held = new Map(table.distinctSeqsPerRecordChain().map(({ key, count }) => [key, count]));
  const listed = new Set<string>();
  for (const chain of manifest.chains) {
    const key = JSON.stringify([chain.agentId, chain.chainId]);
    listed.add(key);
    const count = held.get(key) ?? 0;
    if (count !== chain.count) errors.push(`manifest: chain ${chain.agentId}/${chain.chainId} should hold ${chain.count} events, the bundle holds ${count}`);
  }
  for (const key of held.keys()) if (!listed.has(key)) errors.push(`manifest: the bundle holds chain ${key} that the manifest does not list`);
  return errors;
}
