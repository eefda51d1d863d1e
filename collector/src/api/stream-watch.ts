/**
 * How caught-up /v1/stream clients wait for the log to grow: one poll of the store per interval for
 * all of them, however many are connected, instead of one per client. A tick reads the tree size
 * once (and the newest incident id once, if any waiter follows incidents), wakes every waiter whose
 * view it passed, and wakes the others whose heartbeat is due. The timer runs only while someone
 * waits, and does not hold the process open.
 */
import type { CollectorContext } from '../context.js';

/** What a waiting stream has already sent up to. */
export interface Seen {
  readonly treeSize: number;
  /** The newest incident id it has handled; absent when it does not follow incidents. */
  readonly incidentId?: number;
}

/** `grown`: there is more to send; `due`: its heartbeat is due or the stream should stop (the caller checks which). */
export type WakeReason = 'grown' | 'due';

interface Waiter {
  readonly seen: Seen;
  readonly dueAt: number;
  readonly wake: (reason: WakeReason) => void;
  readonly fail: (error: unknown) => void;
}

export async function newestIncidentId(context: CollectorContext): Promise<number> {
  const [newest] = await context.store.listIncidents({ limit: 1 });
  return newest?.id ?? 0;
}

export class StreamWatch {
  readonly #waiters = new Set<Waiter>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Store reads made, for tests: one per tick whoever waits. */
  reads = 0;

  constructor(
    private readonly context: CollectorContext,
    private readonly pollMillis: number,
  ) {}

  /** Resolves when the log (or, with `seen.incidentId`, the incidents) grew past `seen`, at `dueAt` (a Date.now() time), or when `signal` aborts. */
  wait(seen: Seen, dueAt: number, signal: AbortSignal | undefined): Promise<WakeReason> {
    return new Promise<WakeReason>((resolve, reject) => {
      const settle = () => {
        this.#waiters.delete(waiter);
        signal?.removeEventListener('abort', aborted);
      };
      const waiter: Waiter = {
        seen,
        dueAt,
        wake: (reason) => {
          settle();
          resolve(reason);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      const aborted = () => waiter.wake('due');
      if (signal?.aborted === true) return resolve('due');
      signal?.addEventListener('abort', aborted, { once: true });
      this.#waiters.add(waiter);
      this.#schedule();
    });
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiters.size === 0) return;
    this.#timer = setTimeout(() => void this.#tick(), this.pollMillis);
    this.#timer.unref?.();
  }

  async #tick(): Promise<void> {
    const waiters = [...this.#waiters];
    try {
      if (waiters.length === 0) return;
      this.reads++;
      const treeSize = await this.context.store.treeSize();
      const incidentId = waiters.some((waiter) => waiter.seen.incidentId !== undefined) ? await newestIncidentId(this.context) : 0;
      const now = Date.now();
      for (const waiter of waiters) {
        const { seen } = waiter;
        if (treeSize > seen.treeSize || (seen.incidentId !== undefined && incidentId > seen.incidentId)) waiter.wake('grown');
        else if (now >= waiter.dueAt || !this.context.ready) waiter.wake('due');
      }
    } catch (error) {
      for (const waiter of waiters) waiter.fail(error);
    } finally {
      this.#timer = undefined;
      this.#schedule();
    }
  }
}
