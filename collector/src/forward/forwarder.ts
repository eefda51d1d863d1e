/**
 * Sends accepted OTLP trace requests on to a downstream OTLP/HTTP endpoint, so the collector can be one
 * stage of an existing telemetry pipeline. The queue lives in the store (Batch.forwards): the ingest
 * service admits a request (admit(), which takes room in the queue or refuses it at once) and writes
 * it in the same transaction as its spans, so a request acknowledged 200 is a request that will be
 * forwarded, across a crash or a restart too. One delivery loop reads the queue oldest first and
 * sends up to `concurrency` requests at once, each with its retries (send-request.ts), and deletes
 * each request once delivered or given up. A crash between a delivery and its deletion sends that
 * request again after the restart: delivery is at least once.
 *
 * A full queue (by requests or bytes) refuses the newest request: the ingest service leaves it out
 * of the batch, and the ingest route decides whether the sender must retry (spans kept nowhere else)
 * or the downstream copy can go (the Merkle log is the record). Every request not delivered counts
 * in facto_forward_dropped_total. On a shared PostgreSQL database every process admits and writes,
 * the leader delivers, and each commit that adds reads the shared size first (storedNow()).
 */
import type { Forwarder } from '../context.js';
import type { ForwardBacklog, NewForward } from '../store/types.js';
import type { OtlpContentType } from '../otlp/decoded-trace-request.js';
import { selectsAny, type SpanSelection } from '../otlp/decoded-trace-request.js';
import { shownUrl } from './failure-reason.js';
import { systemClock, type ForwardClock, type ForwarderOptions, type ForwardRevision } from './forwarder-options.js';
import { FullQueueReport } from './full-queue-report.js';
import { QueueCount } from './queue-count.js';
import { freshBudget, pause, RequestSender, STORE_RETRY_MILLIS } from './send-request.js';
import { StoreHealth } from './store-health.js';

export type { ForwardClock, ForwarderOptions, ForwardRevision } from './forwarder-options.js';

/** Request ids read from the store at a time; each body is read when its request is sent. */
const READ_AHEAD = 16;
/** Delivered requests are deleted together, up to this many at a time (and whenever the queue runs dry). */
const DELETE_BATCH = 16;
/** How often the count of a queue only this process writes is read again from the store. */
const RECOUNT_MILLIS = 10_000;

export function createForwarder(options: ForwarderOptions): Forwarder {
  const shown = JSON.stringify(shownUrl(options.url));
  if (!URL.canParse(options.url)) throw new TypeError(`forward URL is not a URL: ${shown}`);
  const url = new URL(options.url);
  // fetch() refuses such a URL outright: every attempt would fail, for minutes, naming the password.
  if (url.username !== '' || url.password !== '') throw new TypeError(`forward URL must not carry user:password@: ${shown}`);
  if (!Number.isSafeInteger(options.queueSize) || options.queueSize < 1) throw new RangeError(`queueSize must be a positive integer, got ${options.queueSize}`);
  if (!Number.isSafeInteger(options.queueBytes) || options.queueBytes < 1) throw new RangeError(`queueBytes must be a positive integer, got ${options.queueBytes}`);
  const { concurrency = 1 } = options;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  return new QueueForwarder(options);
}

class QueueForwarder implements Forwarder {
  readonly #options: ForwarderOptions;
  readonly #clock: ForwardClock;
  /** The queue's size as this process knows it (queue-count.ts). */
  readonly #count: QueueCount;
  #closed = false;
  #delivery: Delivery | undefined;
  /** Wakes an idle delivery loop: a commit added requests, or close() wants the queue drained. */
  #wake: (() => void) | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  /** Says and counts what a full queue refused (full-queue-report.ts). */
  readonly #full: FullQueueReport;
  /** Sends one request with its retries (send-request.ts). */
  readonly #sender: RequestSender;
  /** Says once when the store starts failing the queue's reads or deletes, and once when it works again. */
  readonly #health: StoreHealth;
  /** Delivered or given up, to be deleted: ids only, so a run of failing deletes holds no bodies. */
  readonly #finished: number[] = [];
  /** Taken off #finished by a delete under way: not to be sent again either. */
  readonly #deleting = new Set<number>();
  /** Deletes a delivery's end started, which the loop awaits before it hands over. */
  readonly #pendingDeletes = new Set<Promise<void>>();
  /** The last request a loop finished: the next reading starts after it. */
  #afterId = 0;
  /** Set by each commit, cleared before each read of the queue: a commit the loop's last read may have missed. */
  #moreQueued = false;
  /** The URL as logs show it (failure-reason.ts: no query values). */
  readonly #url: string;

  constructor(options: ForwarderOptions) {
    this.#options = options;
    this.#url = shownUrl(options.url);
    this.#clock = options.clock ?? systemClock;
    this.#health = new StoreHealth(options.logger);
    this.#sender = new RequestSender(options, this.#clock, this.#health, this.#url);
    this.#count = new QueueCount(options.store, () => options.metrics.forwardQueueDepth.set(this.depth));
    this.#full = new FullQueueReport({ ...options, now: () => this.#clock.now() });
  }

  get depth(): number {
    return this.#count.requests;
  }

  async open(): Promise<void> {
    await this.#count.recount();
    const backlog = this.#count.stored;
    if (backlog.requests > 0) this.#options.logger.info('the forward queue holds requests from before this start; they will be delivered', { ...backlog });
    // Counted again from the store now and then: the count kept beside it drifts on races (a commit
    // and a recount crossing, an erasure and a delete) and, on a shared database, other processes add.
    this.#refreshTimer = setInterval(() => void this.#refresh(), this.#options.refreshMillis ?? RECOUNT_MILLIS);
    this.#refreshTimer.unref();
  }

  admit(body: Uint8Array, contentType: OtlpContentType, keep: SpanSelection, factoIds: readonly string[] = []): NewForward | undefined {
    if (!selectsAny(keep)) return undefined;
    const { queueSize, queueBytes } = this.#options;
    // Counted as dropped by refused(), once the commit it was refused in stands.
    if (this.#closed || this.depth >= queueSize || this.#count.bytes + body.byteLength > queueBytes) return undefined;
    this.#count.reserve(body.byteLength);
    const keepsAll = keep.every((scopes) => scopes.every((spans) => spans.every(Boolean)));
    return { encoding: contentType, body, keepJson: keepsAll ? null : JSON.stringify(keep), queuedAt: this.#clock.now(), factoIds };
  }

  committed(forwards: readonly NewForward[]): void {
    if (forwards.length === 0) return;
    this.#count.commit(forwards.length, sumBytes(forwards));
    this.#moreQueued = true;
    this.#wake?.();
  }

  refused(dropped: number, deferred = 0): void {
    this.#full.refused(dropped, deferred);
  }

  storedNow(backlog: ForwardBacklog): void {
    this.#count.set(backlog);
  }

  released(forwards: readonly NewForward[]): void {
    if (forwards.length === 0) return;
    this.#count.release(forwards.length, sumBytes(forwards));
  }

  revised(edits: readonly ForwardRevision[]): void {
    // Counted again from the store: an edit may name a request delivered and deleted meanwhile.
    void this.#refresh();
    // Nothing of the old body may go out: an attempt under way is cut (what it sent already is gone),
    // and every attempt reads its request from the store first.
    for (const edit of edits) this.#delivery?.current.get(edit.id)?.abort();
  }

  startDelivering(): { stop(): Promise<void>; notified(): void } {
    // Elected while shutting down: nothing more to deliver here.
    if (this.#closed) return { stop: async () => undefined, notified: () => undefined };
    // A loop asked to stop may still be finishing (a re-election while the last step-down waits):
    // the new one starts after it, rather than this call handing back the stopping one.
    const current = this.#delivery;
    const delivery = current !== undefined && !current.stop.signal.aborted ? current : this.#startLoop(current?.done);
    this.#delivery = delivery;
    return {
      stop: async () => {
        delivery.stop.abort();
        await delivery.done;
      },
      // Another process committed requests to the shared queue.
      notified: () => {
        this.#moreQueued = true;
        this.#wake?.();
      },
    };
  }

  async close(timeoutMillis: number): Promise<void> {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    this.#full.flush();
    const delivery = this.#delivery;
    if (delivery !== undefined) {
      // Deliver what is queued, up to the deadline: the loop ends when the queue is empty.
      delivery.draining = true;
      this.#wake?.();
      const deadline = setTimeout(() => delivery.stop.abort(), timeoutMillis);
      await delivery.done;
      clearTimeout(deadline);
    }
    // What the store holds is what is left, whatever the count kept beside it says.
    await this.#refresh();
    const left = this.#count.stored.requests;
    if (left === 0) return;
    const { logger, metrics, durable, refreshMillis } = this.#options;
    if (refreshMillis !== undefined) {
      logger.info('left the forward queue in the shared store, for the process that delivers it next', { requests: left });
      return;
    }
    if (durable) {
      logger.info('forward queue not drained before shutdown; the store keeps the rest, to be delivered after a start', { requests: left });
      return;
    }
    logger.warn('forward queue not drained before shutdown; dropped the rest (the database is in memory)', { dropped: left });
    metrics.forwardDropped.inc(left);
    this.#count.clear();
  }

  async #refresh(): Promise<void> {
    try {
      await this.#count.recount();
    } catch {
      // The delivery loop and the ingest route report a failing store; the count stays as it was.
    }
  }

  #startLoop(after: Promise<void> = Promise.resolve()): Delivery {
    const delivery: Delivery = { stop: new AbortController(), current: new Map(), draining: false, done: Promise.resolve() };
    // One listener for the loop's life cuts every request's own controller. A signal combined per
    // request with AbortSignal.any() would stay attached to this long-lived one on Node 20
    // (nodejs/node#55351): a leak that grows with every request delivered.
    delivery.stop.signal.addEventListener('abort', () => {
      for (const cut of delivery.current.values()) cut.abort();
    }, { once: true });
    const run = async () => {
      // Readers the last loop left failing (a request cut by a stop) must not hold a recovery back.
      this.#health.restart();
      await this.#loop(delivery);
    };
    delivery.done = after.then(run).finally(() => {
      if (this.#delivery === delivery) this.#delivery = undefined;
    });
    return delivery;
  }

  /**
   * Reads the queue oldest first and delivers it, up to `concurrency` requests at once, until stopped
   * (or, draining, until it is empty). A slot that frees takes the next request at once, read ahead
   * of what is in flight, so one slow request holds one slot, not the queue. Requests may therefore
   * reach the downstream out of order, as from an OTel Collector exporter with several consumers.
   */
  async #loop(delivery: Delivery): Promise<void> {
    const stopped = delivery.stop.signal;
    const { concurrency = 1, refreshMillis } = this.#options;
    // Kept on the forwarder, not the loop: a loop that stops with deletes still failing hands them,
    // and where it got to, to the next one (a re-election), which would otherwise send them again.
    const finished = this.#finished;
    // Shutting down on a shared queue: what is left is another process's to deliver, not this one's to drain.
    const finishOnly = () => delivery.draining && refreshMillis !== undefined;
    const inFlight = new Set<number>();
    /** Read, not yet sent. */
    const ahead: number[] = [];
    /** Started and not delivered when delivery stopped: where the next loop must start again. */
    const unsent: number[] = [];
    let cursor = this.#afterId;
    let drained = false;
    let taskEnded: (() => void) | undefined;
    const launch = (id: number) => {
      inFlight.add(id);
      // Whatever happens inside, the id leaves inFlight: a throw there must not wedge the loop, and an
      // unexpected one leaves the request queued (unsent) rather than deleted.
      void this.#deliverOne(delivery, id)
        .catch(() => false)
        .then((delivered) => {
          inFlight.delete(id);
          if (delivered) finished.push(id);
          else unsent.push(id);
          taskEnded?.();
          if (finished.length < DELETE_BATCH) return;
          const deleting = this.#deleteFinished(finished).finally(() => this.#pendingDeletes.delete(deleting));
          this.#pendingDeletes.add(deleting);
        });
    };
    while (!stopped.aborted && !finishOnly()) {
      let readFailed = false;
      // Fill the free slots, reading ahead when the ids read run out.
      while (inFlight.size < concurrency && !stopped.aborted && !finishOnly()) {
        const next = ahead.shift();
        if (next !== undefined) {
          launch(next);
          continue;
        }
        if (drained && !this.#moreQueued) break;
        this.#moreQueued = false;
        let batch: number[];
        try {
          batch = await this.#options.store.listForwardIds(cursor, READ_AHEAD);
          this.#health.worked('read', 'listing');
        } catch (error) {
          this.#health.failed('read', error, 'listing');
          readFailed = true;
          break;
        }
        drained = batch.length === 0;
        cursor = batch.at(-1) ?? cursor;
        // Delivered ones a stopped loop left behind may still wait for their delete: not again.
        const waitingDelete = new Set(finished);
        ahead.push(...batch.filter((id) => !waitingDelete.has(id) && !this.#deleting.has(id)));
      }
      if (readFailed) {
        if (delivery.draining || !(await pause(this.#clock, STORE_RETRY_MILLIS, stopped))) break;
        continue;
      }
      const idle = inFlight.size === 0 && ahead.length === 0 && drained && !this.#moreQueued;
      if (idle) {
        await this.#deleteFinished(finished);
        if (delivery.draining) break;
      }
      // A commit came while the queue was being read, and a slot is free: read again now.
      if (this.#moreQueued && inFlight.size < concurrency) continue;
      // Wait for a slot to free, a commit or another process's notification (wake), or, idle on a
      // shared queue, the next look; then read again unless only a slot freed.
      const look = idle || inFlight.size < concurrency ? refreshMillis : undefined;
      // Deletes that failed hold room in the queue, and new requests are refused for it: they are
      // tried again within a second, even where nothing else would wake the loop.
      const millis = idle && finished.length > 0 ? Math.min(look ?? STORE_RETRY_MILLIS, STORE_RETRY_MILLIS) : look;
      const woken = await this.#waitForChange(stopped, (ended) => (taskEnded = ended), millis);
      taskEnded = undefined;
      if (woken !== 'task') drained = false;
    }
    // Stopped or finishing: the requests under way end (stop cuts them; finishing lets them end).
    while (inFlight.size > 0) await this.#waitForChange(undefined, (ended) => (taskEnded = ended));
    // Deletes under way end first: the next loop must see their ids either gone or still listed.
    await Promise.all(this.#pendingDeletes);
    unsent.push(...ahead);
    this.#afterId = unsent.length === 0 ? cursor : Math.min(...unsent) - 1;
    await this.#deleteFinished(finished);
  }

  /** Resolves on the first of: a delivery ending (`onTaskEnd` is given its trigger), a wake, `millis`, or `stopped`. */
  #waitForChange(stopped: AbortSignal | undefined, onTaskEnd: (ended: () => void) => void, millis?: number): Promise<'task' | 'wake' | 'timer' | 'stopped'> {
    if (stopped?.aborted) return Promise.resolve('stopped');
    return new Promise((resolve) => {
      let settled = false;
      const finish = (why: 'task' | 'wake' | 'timer' | 'stopped') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stopped?.removeEventListener('abort', onAbort);
        if (this.#wake === onWake) this.#wake = undefined;
        resolve(why);
      };
      const onAbort = () => finish('stopped');
      const onWake = () => finish('wake');
      const timer = millis === undefined ? undefined : setTimeout(() => finish('timer'), millis);
      stopped?.addEventListener('abort', onAbort);
      this.#wake = onWake;
      onTaskEnd(() => finish('task'));
    });
  }

  /**
   * Delivers one request until it is delivered or given up (true) or delivery stops (false). An
   * erasure that rewrites it meanwhile (revised()) cuts the attempt under way, and it is read again
   * from the store and sent as it now stands, or not at all if it is gone.
   */
  async #deliverOne(delivery: Delivery, id: number): Promise<boolean> {
    // One budget across the cuts: an erasure rewriting the request does not renew its retries.
    const budget = freshBudget();
    for (;;) {
      if (delivery.stop.signal.aborted) return false;
      // Aborted by a stop (the loop's listener) or by an erasure of this request (revised()).
      const rewind = new AbortController();
      delivery.current.set(id, rewind);
      let outcome: 'finished' | 'cut';
      try {
        outcome = await this.#sender.deliver(id, rewind.signal, budget);
      } finally {
        delivery.current.delete(id);
      }
      if (outcome === 'finished') return true;
      // Cut: by a stop it stays queued; by an erasure (or anything else) it is read and sent again.
      if (delivery.stop.signal.aborted) return false;
    }
  }

  /** Takes delivered and given-up requests off the queue; on failure they stay listed and are tried again with the next ones. */
  async #deleteFinished(finished: number[]): Promise<void> {
    if (finished.length === 0) return;
    // Taken off the list first: deliveries that end meanwhile delete theirs apart, never the same ids twice.
    const ids = finished.splice(0);
    for (const id of ids) this.#deleting.add(id);
    let removed: ForwardBacklog;
    try {
      removed = await this.#options.store.deleteForwards(ids);
      this.#health.worked('delete');
    } catch (error) {
      this.#health.failed('delete', error);
      finished.push(...ids);
      return;
    } finally {
      for (const id of ids) this.#deleting.delete(id);
    }
    // What the store removed: an erasure may have taken a request off, or shrunk it, meanwhile.
    this.#count.remove(removed);
  }
}

interface Delivery {
  /** Aborted to stop delivery: cancels the attempts and backoffs under way. */
  readonly stop: AbortController;
  /** The requests being delivered, each with what cuts its attempt when an erasure rewrites it in the store (it is then read again). */
  readonly current: Map<number, AbortController>;
  /** Set by close(): the loop ends once the queue is empty rather than waiting for more. */
  draining: boolean;
  done: Promise<void>;
}

function sumBytes(forwards: readonly { readonly body: Uint8Array }[]): number {
  return forwards.reduce((sum, forward) => sum + forward.body.byteLength, 0);
}
