/**
 * Signs the log's tree head at an interval, when the tree grew, as Tessera and Sunlight do: proofs
 * are served against checkpoints, so a new entry becomes provable within one interval. A failing
 * checkpoint (a store error, say) is logged and tried again at the next tick; it never takes the
 * collector down, since every entry is already durable and the next checkpoint will cover it.
 * Ticks are chained with setTimeout rather than setInterval, so a slow store cannot pile them up,
 * and the timer is unref'd, so it never keeps a process alive on its own. The one failure not
 * retried is a LogKeyMismatchError (another key signs the log): the log will sign nothing more, so
 * the publisher stops, leaving its owner to say why (the collector does, and shuts down).
 */
import type { Checkpoint } from '../store/types.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import { LogKeyMismatchError } from './log-key.js';

/** The part of LogService the publisher uses. */
export interface CheckpointedLog {
  readonly treeSize: number;
  /** Signs and stores the current head, or returns the latest checkpoint if it already covers it. */
  checkpoint(): Promise<Checkpoint>;
}

export interface CheckpointPublisherOptions {
  readonly log: CheckpointedLog;
  readonly intervalSeconds: number;
  readonly logger: Logger;
  /** Only the tree size gauge; the checkpoint age is computed when /metrics is scraped. */
  readonly metrics: Pick<Metrics, 'treeSize'>;
  /** Called with each failure, after it is logged (tests, alerting hooks). */
  readonly onError?: (error: unknown) => void;
  /**
   * Who signs the entries a failed final checkpoint leaves uncovered, for that log line. Default
   * "the next start"; on a shared log, the process that leads next (which may be a running one).
   */
  readonly nextSigner?: string;
}

export interface CheckpointPublisher {
  /** Waits for a tick in flight, then signs a final checkpoint. Never rejects; failures are logged. */
  stop(): Promise<void>;
}

export function startCheckpointPublisher(options: CheckpointPublisherOptions): CheckpointPublisher {
  const { log, logger, metrics } = options;
  if (!Number.isFinite(options.intervalSeconds) || options.intervalSeconds <= 0) {
    throw new RangeError(`intervalSeconds must be a positive number, got ${options.intervalSeconds}`);
  }
  // Unknown until the first tick: the first tick always asks the log, which also covers entries a
  // previous run committed but crashed before checkpointing.
  let checkpointedSize: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let refused = false;

  async function publish(reason: 'interval' | 'shutdown'): Promise<void> {
    const size = log.treeSize;
    metrics.treeSize.set(size);
    if (size !== checkpointedSize && !refused) {
      try {
        const checkpoint = await log.checkpoint();
        checkpointedSize = checkpoint.treeSize;
        logger.debug('checkpoint signed', { treeSize: checkpoint.treeSize, reason });
      } catch (error) {
        refused = LogKeyMismatchError.isInstance(error);
        if (!refused) {
          logger.error(`checkpoint failed; ${reason === 'shutdown' ? `${options.nextSigner ?? 'the next start'} will sign it` : 'retrying at the next interval'}`, {
            treeSize: size,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        try {
          options.onError?.(error);
        } catch {
          // A failing hook must not stop the publisher, nor reject stop().
        }
      }
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      inFlight = publish('interval').finally(() => {
        inFlight = undefined;
        if (!stopping && !refused) schedule();
      });
    }, options.intervalSeconds * 1000);
    timer.unref();
  }

  schedule();
  return {
    stop: () =>
      (stopping ??= (async () => {
        clearTimeout(timer);
        await inFlight;
        await publish('shutdown');
      })()),
  };
}
