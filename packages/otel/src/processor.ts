/**
 * FactoSpanProcessor signs and chains every span that ends through it, then exports it through its
 * own bounded queue. Signing happens in `onEnding`, the sdk-trace-base 2.x hook that runs after the
 * end time is set and while attributes are still writable, so the facto.* attributes travel with the
 * span to any exporter. Any OpenTelemetry span qualifies, including spans from other
 * instrumentations. Failures are logged through the OpenTelemetry diag logger and never reach the
 * agent: a span that cannot be sealed goes out unsigned, marked with `facto.seal_error`.
 */
import { diag, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  ATTR,
  DEFAULT_CONTENT_KEYS,
  keyId as computeKeyId,
  getPublicKey,
  normalizeAttributeValue,
  prepareSeal,
  sealSpan,
  sign,
  toHex,
  TRANSPORT_KEYS,
  wellFormed,
  type ContentCapture,
  type PreparedSeal,
  type SpanFields,
} from '@facto/core';
import { ChainHead, type ChainHeadStore } from './chain-head.js';
import { withholdErrorText } from './error-text.js';
import { deliverQueueAtExit } from './exit-delivery.js';
import { ExportQueue, type DropReason, type FlushReport, type QueueStats } from './export-queue.js';
import { signOnThreadPool } from './off-thread-signatures.js';
import { SealingLane, type PendingSeal } from './sealing-lane.js';
import { spanFields } from './span-fields.js';

export interface FactoSpanProcessorOptions {
  readonly agentId: string;
  /** Raw 32-byte Ed25519 seed. (createFacto/registerFacto also take PEM, base64 or a key file.) */
  readonly privateKey: Uint8Array;
  /** Default: a fresh random id per processor instance. Use one per conversation for session chains. */
  readonly chainId?: string;
  /** Where spans go: normally the official OTLP exporter (createFacto builds it). */
  readonly exporter: SpanExporter;
  /** What of the content leaves the process (default `full`); `hashes`/`none` withhold error text too (error-text.ts). */
  readonly capture?: ContentCapture;
  readonly contentKeys?: Iterable<string>;
  /**
   * Where the record is built and signed. `deferred` (default): onEnding snapshots the span's fields
   * (final at that point) and takes its seq; just before each batch goes out, the export path builds,
   * hashes and links its records in seq order and has them signed on libuv's thread pool, off the
   * agent's call path and, for the signature, off its thread. `inline`: all of it in onEnding, so the
   * span carries its proof as soon as it ends, at the cost of a signature (tens of microseconds) in
   * the agent's call path; choose it only when another processor must see the facto.* attributes.
   */
  readonly signing?: 'inline' | 'deferred';
  /** Persists the chain head so the chain continues across restarts (Node: createFileHeadStore). */
  readonly headStore?: ChainHeadStore;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
  readonly scheduledDelayMillis?: number;
  readonly retryDelayMillis?: number;
  /**
   * How long shutdown waits for delivery (default 30 s), then gives an export under way as long again;
   * a flush waits at most this, and only for its own attempt (flush-waiters.ts).
   */
  readonly flushTimeoutMillis?: number;
  /** How long an export may go unanswered before diag reports delivery stalled (default 30 s; set the
   * OTLP exporter's own timeout shorter): an exporter that never calls back holds the queue. */
  readonly exportTimeoutMillis?: number;
}

export interface ProcessorStats extends QueueStats {
  readonly signed: number;
  readonly sealFailures: number;
  readonly nextSeq: number;
}

const SEAL_ERROR = 'facto.seal_error';
/** How long flush and shutdown wait for delivery unless told otherwise. */
export const DEFAULT_FLUSH_TIMEOUT_MILLIS = 30_000;

function randomFactoId(): string {
  return `ft-${globalThis.crypto.randomUUID()}`;
}

export class FactoSpanProcessor implements SpanProcessor {
  readonly agentId: string;
  readonly chainId: string;
  readonly keyId: string;
  readonly publicKey: string;
  readonly #privateKey: Uint8Array;
  readonly #capture: ContentCapture;
  readonly #contentKeys: ReadonlySet<string>;
  readonly #head: ChainHead;
  readonly #queue: ExportQueue;
  readonly #flushTimeout: number;
  readonly #signing: 'inline' | 'deferred';
  /** The seq each sealed span holds (or, deferred, will hold), for drop accounting. */
  readonly #sealed = new WeakMap<object, number>();
  /** The facto_id this processor gave each span at its start; a caller cannot choose or change it. */
  readonly #factoIds = new WeakMap<object, string>();
  readonly #lane: SealingLane;
  /** Records linked on the way to export whose signatures are being computed off the agent's thread. */
  #unsigned: { readonly span: Span; readonly hash: Uint8Array }[] = [];
  /** True while the export path drains the lane: signatures are then left to signOffThread. */
  #signingOffThread = false;
  #signed = 0;
  #sealFailures = 0;
  #shutdown: Promise<FlushReport> | undefined;
  /** Takes this processor's queue off the delivery at exit (exit-delivery.ts). */
  readonly #leaveExit: () => void;

  constructor(options: FactoSpanProcessorOptions) {
    this.agentId = options.agentId;
    this.chainId = options.chainId ?? `chain-${globalThis.crypto.randomUUID()}`;
    this.#privateKey = options.privateKey;
    const publicKey = getPublicKey(options.privateKey);
    this.keyId = computeKeyId(publicKey);
    this.publicKey = toHex(publicKey);
    this.#capture = options.capture ?? 'full';
    this.#contentKeys = new Set(options.contentKeys ?? DEFAULT_CONTENT_KEYS);
    this.#head = new ChainHead(this.agentId, this.chainId, options.headStore);
    this.#flushTimeout = options.flushTimeoutMillis ?? DEFAULT_FLUSH_TIMEOUT_MILLIS;
    this.#signing = options.signing ?? 'deferred';
    this.#lane = new SealingLane(
      this.#head,
      (job, prevHash, dropped, signed) => this.#sealPending(job, prevHash, dropped, signed),
      (job, error) => {
        this.#sealed.delete(job.span);
        this.#reportFailure(job.span as Span, error);
      },
    );
    this.#queue = new ExportQueue({
      exporter: options.exporter,
      maxQueueSize: options.maxQueueSize,
      maxExportBatchSize: options.maxExportBatchSize,
      scheduledDelayMillis: options.scheduledDelayMillis,
      retryDelayMillis: options.retryDelayMillis,
      exportTimeoutMillis: options.exportTimeoutMillis,
      onDrop: (spans, reason) => this.#recordDropped(spans, reason),
      beforeExport: (spans) => this.#sealForExport(spans),
      report: { warn: (message) => diag.warn(`facto: ${message}`), error: (message) => diag.error(`facto: ${message}`) },
    });
    this.#leaveExit = deliverQueueAtExit({ queued: () => this.#queue.stats.queued, deliver: (timeoutMillis) => void this.#queue.deliver(timeoutMillis), flushTimeoutMillis: this.#flushTimeout });
  }

  get stats(): ProcessorStats {
    return { ...this.#queue.stats, signed: this.#signed, sealFailures: this.#sealFailures, nextSeq: this.#head.state.nextSeq };
  }

  onStart(span: Span, _parentContext: Context): void {
    // The id exists from the start, so code inside a step can refer to the event it is producing. It
    // is always ours: an id a caller chose could repeat one already in the log (the collector would
    // refuse that span), and ids are how evidence is cited.
    const factoId = randomFactoId();
    this.#factoIds.set(span, factoId);
    writeAttribute(span, ATTR.id, factoId);
  }

  onEnding(span: Span): void {
    try {
      // Before the record is built: error text that is withheld is not part of it.
      if (this.#capture !== 'full') withholdErrorText(span);
      if (this.#signing === 'inline') this.#seal(span);
      else this.#reserve(span);
    } catch (error) {
      this.#reportFailure(span, error);
    }
  }

  onEnd(span: ReadableSpan): void {
    this.#queue.enqueue(span);
  }

  /**
   * OpenTelemetry's flush (what provider.forceFlush() and an integration's flush call): delivers what
   * is queued, and leaves the counts to the next flush() or close(), whose report they belong to.
   */
  forceFlush(): Promise<void> {
    return this.#queue.deliver(this.#flushTimeout);
  }

  /** Like forceFlush, but says how many spans went out and how many could not. */
  flush(timeoutMillis = this.#flushTimeout): Promise<FlushReport> {
    return this.#queue.flush(timeoutMillis);
  }

  shutdown(): Promise<void> {
    return this.close().then(() => undefined);
  }

  /** Delivers what it can, declares the rest dropped, persists the chain head. Idempotent. */
  close(timeoutMillis = this.#flushTimeout): Promise<FlushReport> {
    this.#leaveExit();
    this.#shutdown ??= this.#queue.shutdown(timeoutMillis).finally(() => {
      this.#lane.drainAll();
      this.#head.close();
    });
    return this.#shutdown;
  }

  #seal(span: Span): void {
    const seq = this.#head.reserve();
    let sealed: PreparedSeal;
    try {
      normalizeSpan(span);
      sealed = sealSpan(this.#sealOptions(spanFields(span), this.#factoIdOf(span), seq, this.#head.prevHash, this.#head.droppedBefore(seq)));
    } catch (error) {
      // Its seq is spent without a record: the next record declares it, as in deferred mode.
      this.#head.skip(seq);
      throw error;
    }
    this.#head.link(seq, toHex(sealed.hash));
    this.#sealed.set(span, seq);
    this.#signed++;
    applySeal(span, sealed);
  }

  /**
   * Deferred mode, in onEnding: the seq is taken and everything the record needs is copied now; the
   * lane seals it later. A span whose snapshot fails still holds its seq, so the lane declares it.
   */
  #reserve(span: Span): void {
    const seq = this.#head.reserve();
    const factoId = this.#factoIdOf(span);
    try {
      normalizeSpan(span);
      this.#lane.add({ span, factoId, seq, fields: spanFields(span) });
      this.#sealed.set(span, seq);
    } catch (failure) {
      this.#lane.add({ span, factoId, seq, failure });
    }
    // Content that must not leave the process goes now, not when the record is built.
    this.#withholdContent(span);
  }

  /** Capture `hashes` or `none`: content values never leave the process, sealed or not. */
  #withholdContent(span: Span): void {
    if (this.#capture === 'full') return;
    const attributes = span.attributes as Record<string, unknown>;
    for (const key of Object.keys(attributes)) if (this.#contentKeys.has(key)) delete attributes[key];
  }

  /**
   * Deferred mode, on the export path: links the batch's records in seq order here (each names the
   * hash of the one before), then has their signatures computed off the agent's thread, on libuv's
   * thread pool, while the batch waits (off-thread-signatures.ts). A runtime without node:crypto
   * signs in-thread, as before.
   */
  #sealForExport(spans: readonly ReadableSpan[]): Promise<void> | undefined {
    this.#signingOffThread = true;
    try {
      this.#lane.drainThrough(spans);
    } finally {
      this.#signingOffThread = false;
    }
    if (this.#unsigned.length === 0) return undefined;
    const jobs = this.#unsigned;
    this.#unsigned = [];
    return this.#signAll(jobs);
  }

  /**
   * Never rejects: these records are linked and leave the lane now, so a retry of the export would not
   * sign them again; every one ends signed (off the thread or in it) or marked facto.seal_error.
   */
  async #signAll(jobs: readonly { readonly span: Span; readonly hash: Uint8Array }[]): Promise<void> {
    const signatures = await signOnThreadPool(jobs.map((job) => job.hash), this.#privateKey);
    jobs.forEach((job, index) => this.#finishSignature(job.span, job.hash, signatures[index]));
  }

  #finishSignature(span: Span, hash: Uint8Array, signature: Uint8Array | undefined): void {
    try {
      // The thread pool failing is not a reason to lose the record: sign here instead. The key was
      // checked when the processor was built, so this cannot fail for the key's sake.
      writeAttribute(span, ATTR.signature, toHex(signature ?? sign(hash, this.#privateKey)));
      this.#signed++;
    } catch (error) {
      // Already linked: the next record names this one's hash, and the collector, never receiving a
      // signed record for it, reports the break in the chain rather than nothing.
      this.#reportFailure(span, error);
    }
  }

  #sealPending(job: PendingSeal & { readonly fields: SpanFields }, prevHash: string, dropped: number, signed: boolean): string {
    const options = this.#sealOptions(job.fields, job.factoId, job.seq, prevHash, dropped);
    if (signed && this.#signingOffThread) {
      const prepared = prepareSeal(options);
      applySeal(job.span as Span, prepared);
      this.#unsigned.push({ span: job.span as Span, hash: prepared.hash });
      return toHex(prepared.hash);
    }
    const sealed = signed ? sealSpan(options) : prepareSeal(options);
    if (signed) this.#signed++;
    applySeal(job.span as Span, sealed);
    return toHex(sealed.hash);
  }

  #sealOptions(fields: SpanFields, factoId: string, seq: number, prevHash: string, dropped: number) {
    return {
      span: fields,
      chain: { factoId, agentId: this.agentId, chainId: this.chainId, seq, prevHash, keyId: this.keyId, dropped },
      privateKey: this.#privateKey,
      publicKey: this.publicKey,
      contentKeys: this.#contentKeys,
      capture: this.#capture,
    };
  }

  #recordDropped(spans: readonly ReadableSpan[], _reason: DropReason): void {
    const seqs: number[] = [];
    for (const span of spans) {
      const seq = this.#sealed.get(span);
      if (seq === undefined) continue;
      this.#lane.markUndeliverable(span);
      seqs.push(seq);
    }
    this.#head.recordDropped(seqs);
  }

  /** A span that did not start here (ended through another provider's processor) gets its id now. */
  #factoIdOf(span: Span): string {
    let factoId = this.#factoIds.get(span);
    if (factoId === undefined) {
      factoId = randomFactoId();
      this.#factoIds.set(span, factoId);
    }
    return factoId;
  }

  #reportFailure(span: Span, error: unknown): void {
    this.#withholdContent(span);
    this.#sealFailures++;
    const message = error instanceof Error ? error.message : String(error);
    writeAttribute(span, SEAL_ERROR, message);
    try {
      diag.error(`facto: span "${span.name}" could not be sealed (${message}); it goes out unsigned, and the chain declares its seq dropped`);
    } catch {
      // A logger that throws must not take the span's marking, or the agent, with it.
    }
  }
}

function applySeal(span: Span, sealed: PreparedSeal): void {
  const attributes = span.attributes as Record<string, unknown>;
  // Transport attributes are the proof's alone: one a caller set (facto.dropped, say) would travel
  // beside the real proof and make the collector rebuild a different record.
  for (const key of Object.keys(attributes)) if (TRANSPORT_KEYS.has(key)) delete attributes[key];
  for (const key of sealed.removeKeys) delete attributes[key];
  for (const [key, value] of Object.entries(sealed.attributes)) writeAttribute(span, key, value);
}

/**
 * Writes straight into the span's attribute map. setAttribute would apply the SDK's attribute count
 * and length limits, which could drop or truncate the proof itself; the proof is not user data and
 * must arrive whole.
 */
function writeAttribute(span: Span, key: string, value: unknown): void {
  (span.attributes as Record<string, unknown>)[key] = value;
}

/** Rewrites values the two OTLP encodings cannot carry alike (docs/spec.md, "Normalisation"). */
function normalizeSpan(span: Span): void {
  const name = wellFormed(span.name);
  if (name !== span.name) span.updateName(name);
  // The status message and event names are strings of the record too: an error text cut in the
  // middle of an emoji (a lone surrogate) must not make its span unsignable. Written in place, as
  // the span is ending and setStatus may no longer apply.
  const message = span.status.message;
  if (message !== undefined && wellFormed(message) !== message) (span as unknown as { status: Span['status'] }).status = { ...span.status, message: wellFormed(message) };
  for (const event of span.events) if (wellFormed(event.name) !== event.name) (event as { name: string }).name = wellFormed(event.name);
  normalizeAttributes(span.attributes as Record<string, unknown>);
  for (const event of span.events) if (event.attributes) normalizeAttributes(event.attributes as Record<string, unknown>);
  for (const link of span.links) if (link.attributes) normalizeAttributes(link.attributes as Record<string, unknown>);
}

function normalizeAttributes(attributes: Record<string, unknown>): void {
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    const normal = normalizeAttributeValue(value);
    if (normal !== value) attributes[key] = normal;
  }
}
