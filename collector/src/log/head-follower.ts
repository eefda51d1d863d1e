/**
 * For the leader of a shared log: other processes append to it, and the checkpoint publisher signs
 * only when it sees this process's tree grow, so the leader catches its tree up with the stored head
 * at an interval. Each catch-up is one short pass through the sequencer lock that reads the head and,
 * if it moved, the O(log n) nodes of the new compact range.
 */
import type { Logger } from '../ops/logger.js';
import type { LogService } from './log-service.js';

export interface HeadFollowerOptions {
  readonly log: Pick<LogService, 'catchUp'>;
  readonly intervalMillis: number;
  readonly logger: Logger;
}

export function followStoredHead(options: HeadFollowerOptions): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    options.log
      .catchUp()
      .catch((error: unknown) => options.logger.warn('could not read the shared log head; retrying', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMillis).unref();
      });
  };
  timer = setTimeout(tick, 0).unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
