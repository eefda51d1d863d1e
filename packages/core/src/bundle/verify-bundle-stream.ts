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
import type { VerifierKey } from '../note/index.js';
import { checkExportManifest, signedManifestQuery } from './export-manifest.js';
import { readBundleEvents, readBundleMembers } from './json-scan.js';
import { verifyStreamedChains } from './streamed-chains.js';
import { openChainStatements } from './verify-bundle-chains.js';
import { StreamedEvents } from './streamed-events.js';
import { BUNDLE_FORMAT, type BundleChain, type BundleKey, type Checkpointed } from './types.js';
import type { BundleReport, ChainVerdict, VerifyBundleOptions } from './verify-bundle.js';
import { checkTrustedAgentKeys, openBundle } from './open-bundle.js';
import { bundleMemberErrors } from './bundle-members.js';
import { erasuresNamingNoEvent } from './verify-erasures.js';
import { unreadableEvent, verifyEvent, type EventVerdict } from './verify-events.js';

export interface BundleSource {
  /** A fresh stream of the bundle's bytes, from the start; called twice. */
  open(): AsyncIterable<Uint8Array>;
}

export interface VerifyBundleStreamOptions extends VerifyBundleOptions {
  /**
   * Called once the checkpoint has been opened (or has failed to), before any event is checked: its
   * verdict and the bundle's problems found so far (log keys, checkpoint, agent keys, erasure
   * entries), which are also the first of the report's errors. A checkpoint that does not open fails
   * every event's inclusion, so a caller printing problems as they come can print the cause first.
   * What it throws is thrown, not reported.
   */
  readonly onOpened?: (opened: { readonly checkpoint: BundleReport['checkpoint']; readonly errors: readonly string[] }) => void;
  /** Called with each event's verdict, in bundle order, as soon as the event has been checked. */
  readonly onEvent?: (verdict: EventVerdict, index: number) => void;
  /** Called after each event with the bytes of the bundle read so far (in the second pass). */
  readonly onProgress?: (bytesRead: number) => void;
  /** How many failed verdicts the report keeps (every verdict goes to onEvent). Default 1000. */
  readonly keepFailedEvents?: number;
  /**
   * More trusted agent keys, decided once the bundle's query has been read (for instance: keys the
   * caller gave without naming an agent belong to the agent the signed query names). It is given
   * the query the manifest signs when the manifest opens with the log key, else the bundle's own
   * `query` member (a query that differs from the signed one is reported either way). Added to
   * trustedKeys.agents. What it throws is thrown, not reported.
   */
  readonly agentKeysFor?: (query: unknown) => Readonly<Record<string, readonly (string | Uint8Array)[]>>;
}

export interface StreamedBundleReport {
  readonly ok: boolean;
  /** As in verifyBundle's report: kept when the bundle turns out malformed after it was opened. */
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
  readonly log_key?: unknown;
  readonly keys?: readonly BundleKey[];
  readonly chains?: readonly BundleChain[];
  readonly erasures?: unknown;
  readonly manifest?: unknown;
  readonly query?: Readonly<Record<string, string>>;
}

/**
 * What has been established so far: the checkpoint as it opened (or did not), the problems found and
 * the events checked. A report of a bundle that turns out malformed keeps it, as verifyBundle's does.
 */
class Progress {
  checkpoint: BundleReport['checkpoint'] = { ok: false };
  readonly errors: string[] = [];
  eventCount = 0;
  failedEventCount = 0;
  readonly failedEvents: EventVerdict[] = [];
}

function malformed(reason: string, progress: Progress): StreamedBundleReport {
  const { checkpoint, errors, eventCount, failedEventCount, failedEvents } = progress;
  return { ok: false, checkpoint, eventCount, failedEventCount, failedEvents, chains: [], errors: [...errors, reason] };
}

/**
 * Never throws on what the source holds: malformed text or a malformed bundle gets a report that says
 * so. A failure to read the source itself (a file gone) is thrown, as is a wrong type of trustedKeys.
 */
export async function verifyBundleStream(source: BundleSource, options: VerifyBundleStreamOptions): Promise<StreamedBundleReport> {
  if (typeof options?.trustedKeys !== 'object' || options.trustedKeys === null) throw new TypeError('verifyBundleStream: options.trustedKeys is required');
  checkTrustedAgentKeys(options.trustedKeys, 'verifyBundleStream');
  const progress = new Progress();
  const opened: (() => Promise<unknown>)[] = [];
  try {
    return await verifyStream(source, options, progress, opened);
  } catch (error) {
    if (error instanceof PassedOn) throw error.cause;
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
  const { errors } = progress;
  // Text that is not JSON is refused before anything else, as parseEvidenceBundle refuses it: the
  // events' syntax is checked (the first pass only stepped over them) before calling the shape wrong.
  const refuse = async (reason: string) => {
    for await (const _batch of readBundleEvents(reading(source, opened)));
    return malformed(reason, progress);
  };
  if (!read.isObject || bundle.format !== BUNDLE_FORMAT || read.events !== 'array' || !Array.isArray(bundle.chains)) return refuse(`not a ${BUNDLE_FORMAT} document`);
  // Absent, it is a missing member (reported below); present, it is an array, null included.
  if (bundle.keys !== undefined && !Array.isArray(bundle.keys)) return refuse('keys must be an array');
  if (typeof bundle.checkpoint !== 'string') return refuse('checkpoint must be a signed note (a string)');
  const names = [...read.members.keys(), 'events'];
  for (const error of bundleMemberErrors(names, bundle.chains, bundle.keys)) errors.push(error);
  // The agent keys the bundle's own signed query names, asked for before anything is judged.
  let more: Readonly<Record<string, readonly (string | Uint8Array)[]>> = {};
  if (options.agentKeysFor !== undefined) {
    try {
      // The signed query first: an edited `query` member must not point the caller's keys elsewhere.
      more = options.agentKeysFor(signedManifestQuery(bundle.manifest, options.trustedKeys.log) ?? bundle.query);
      // The caller's keys too, however they came: one it cannot read is its mistake, not the bundle's.
      checkTrustedAgentKeys({ log: options.trustedKeys.log, agents: more }, 'verifyBundleStream: agentKeysFor');
    } catch (error) {
      throw new PassedOn(error);
    }
  }
  const { logKeys, checkpointed, checkpoint, context, erasures } = openBundle({ checkpoint: bundle.checkpoint, log_key: bundle.log_key, keys: bundle.keys, erasures: bundle.erasures }, options, errors, more);
  progress.checkpoint = checkpoint;
  try {
    options.onOpened?.({ checkpoint, errors: [...errors] });
  } catch (error) {
    throw new PassedOn(error);
  }
  const keep = options.keepFailedEvents ?? 1000;
  const table = new StreamedEvents();
  const namedErasures = new Set<number>();
  for await (const batch of readBundleEvents(reading(source, opened))) for (const { event, bytesRead } of batch) {
    let verdict: EventVerdict;
    try {
      verdict = verifyEvent(event as never, context);
    } catch (error) {
      verdict = unreadableEvent(event, `malformed event: ${(error as Error).message}`);
    }
    table.add(event, verdict);
    if (verdict.erasedBy !== null) namedErasures.add(verdict.erasedBy);
    options.onEvent?.(verdict, progress.eventCount);
    progress.eventCount++;
    if (!verdict.ok) {
      progress.failedEventCount++;
      if (progress.failedEvents.length < keep) progress.failedEvents.push(verdict);
    }
    options.onProgress?.(bytesRead);
  }
  for (const error of table.duplicateErrors()) errors.push(error);
  for (const error of erasuresNamingNoEvent(erasures, namedErasures)) errors.push(error);
  const partial = typeof bundle.query === 'object' && bundle.query !== null && Object.hasOwn(bundle.query, 'since');
  const chains = verifyStreamedChains(table, openChainStatements(bundle.chains, logKeys, checkpointed), partial);
  for (const error of checkManifest(bundle, table, logKeys, checkpointed)) errors.push(error);
  const ok = errors.length === 0 && checkpoint.ok && progress.failedEventCount === 0 && chains.every((chain) => chain.ok);
  const { eventCount, failedEventCount, failedEvents } = progress;
  return { ok, checkpoint, eventCount, failedEventCount, failedEvents, chains, errors };
}

/** verifyBundle's manifest check (export-manifest.ts), on the packed facts. */
function checkManifest(bundle: Members, table: StreamedEvents, logKeys: VerifierKey[], checkpointed: Checkpointed | undefined): string[] {
  const chains = new Map(table.distinctSeqsPerRecordChain().map(({ key, count }) => [key, count]));
  const erasures = Array.isArray(bundle.erasures) ? bundle.erasures.length : 0;
  return checkExportManifest({ manifest: bundle.manifest, query: bundle.query, events: table.count, erasures, chains }, logKeys, checkpointed);
}
