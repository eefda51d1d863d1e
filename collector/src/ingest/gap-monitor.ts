/**
 * Turns a missing chain predecessor into a verdict once it has had time to arrive. At ingest a span
 * whose predecessor is absent is stored as `pending` (retries and load balancers reorder spans).
 * After a grace period the monitor looks at the whole chain: if the signer's dropped counter covers
 * the gap, the span becomes `gap_declared`; if not, `gap_undeclared`, and an `undeclared_gap`
 * security incident is recorded, because that is what a deletion looks like. The verdict is written
 * through the sequencer lane, so it never races an ingest of the missing span; if the predecessor
 * does arrive later, ingest relinks the span as usual.
 */
import { chainKey, verifyChains } from '@facto/core';
import type { LogService } from '../log/log-service.js';
import type { Logger } from '../ops/logger.js';
import type { Metrics } from '../ops/metrics.js';
import type { LinkStatus, NewIncident, Store, StoredEvent } from '../store/types.js';
import { newIncident } from './incident.js';

export interface GapMonitorOptions {
  readonly store: Store;
  readonly log: LogService;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** How long a span may wait for its predecessor. Default 30 s. */
  readonly graceMillis?: number;
  /** How often to look. Default 10 s. */
  readonly intervalMillis?: number;
}

const BATCH = 500;

export async function sweepGaps(options: GapMonitorOptions, now = Date.now()): Promise<{ declared: number; undeclared: number }> {
  const { store, log, metrics } = options;
  const graceMillis = options.graceMillis ?? 30_000;
  let declared = 0;
  let undeclared = 0;
  await log.commit(async () => {
    const pending = await store.listPendingEvents(now - graceMillis, BATCH);
    const byChain = new Map<string, StoredEvent[]>();
    for (const event of pending) {
      const key = chainKey(event.agentId, event.chainId);
      byChain.set(key, [...(byChain.get(key) ?? []), event]);
    }
    const linkUpdates: { factoId: string; linkStatus: LinkStatus }[] = [];
    const incidents: NewIncident[] = [];
    for (const waiting of byChain.values()) {
      const { agentId, chainId } = waiting[0]!;
      // Links only, read in pages (a chain one agent made a million long once held every request for seconds here).
      const links = await store.listChainLinks(agentId, chainId);
      const [report] = verifyChains(links.map(({ seq, hash, prevHash, dropped }) => ({ agentId, chainId, seq, hash, prevHash, dropped })));
      for (const event of waiting) {
        const gap = report!.gaps.find((candidate) => candidate.toSeq === event.seq - 1);
        if (!gap) continue; // its predecessor is present after all (a fork sibling): ingest settles it
        if (gap.declared) {
          declared++;
          linkUpdates.push({ factoId: event.factoId, linkStatus: 'gap_declared' });
          continue;
        }
        undeclared++;
        linkUpdates.push({ factoId: event.factoId, linkStatus: 'gap_undeclared' });
        incidents.push(
          newIncident(
            'undeclared_gap',
            { agentId, chainId, seq: event.seq, factoId: event.factoId },
            `seq ${gap.fromSeq}..${gap.toSeq} missing before this record and not declared dropped by the signer`,
            { fromSeq: gap.fromSeq, toSeq: gap.toSeq, dropped: event.dropped },
            now,
          ),
        );
      }
    }
    return { events: [], logEntries: [], leaves: [], linkUpdates, incidents, keys: [], unverified: [], erasures: [] };
  });
  if (undeclared > 0) metrics.incidents.inc({ kind: 'undeclared_gap' }, undeclared);
  return { declared, undeclared };
}

export function startGapMonitor(options: GapMonitorOptions): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = sweepGaps(options)
      .catch((error: unknown) => options.logger.warn('gap sweep failed; retrying next interval', { error: (error as Error).message }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMillis ?? 10_000).unref();
      });
  };
  let timer = setTimeout(tick, options.intervalMillis ?? 10_000).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
