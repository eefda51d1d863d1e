/**
 * One leader at a time among the collector processes sharing a database: the process whose own
 * connection holds the session-level advisory lock LEADER_LOCK. The lock lives exactly as long as
 * that connection, so when the leader dies (SIGKILL included) the server drops it and the next
 * process to try takes over. Every process tries at an interval; the leader uses the same tick to
 * check its connection, and steps down (stopping its duties) the moment the connection fails.
 * Leadership is about not doing the same work twice; correctness never depends on it, since
 * everything the duties write goes through the sequencer lock and the store's compare-and-swap.
 */
import pg from 'pg';
import type { Duties } from '../../log/shared-sequencing.js';
import type { Logger } from '../../ops/logger.js';
import { FORWARD_QUEUE_CHANNEL } from './forward-queue-schema.js';
import { FORWARDER_LOCK, LEADER_LOCK } from './lock-keys.js';

/** Which election: its lock, and how winning and losing it read in the log. */
export interface LeaderRole {
  readonly lock: number;
  /** Logged (info) on winning, e.g. 'became the leader: ...'. */
  readonly won: string;
  /** Logged (warn) on losing. */
  readonly lost: string;
  /** A channel the leader LISTENs on while it leads; each notification calls its duties' notified(). */
  readonly channel?: string;
}

/** Checkpoints and the gap sweep. */
export const LEADER: LeaderRole = {
  lock: LEADER_LOCK,
  won: 'became the leader: this process signs checkpoints and runs the gap sweep',
  lost: 'no longer the leader: checkpoints and the gap sweep stop here until this process is elected again',
};

/** Delivering the forward queue: among the processes started with --forward only. */
export const FORWARDER: LeaderRole = {
  lock: FORWARDER_LOCK,
  won: 'became the forwarder: this process delivers the forward queue every process fills',
  lost: 'no longer the forwarder: delivery of the forward queue stops here until this process is elected again',
  channel: FORWARD_QUEUE_CHANNEL,
};

export interface LeaderElectionOptions {
  readonly role: LeaderRole;
  /** Connection settings for the dedicated connection (never a pooled one: the lock must outlive no query). */
  readonly connection: pg.ClientConfig;
  readonly target: string;
  readonly intervalMillis: number;
  readonly logger: Logger;
  readonly start: () => Duties;
}

export function startLeaderElection(options: LeaderElectionOptions): { stop(): Promise<void> } {
  const { logger, target } = options;
  let client: pg.Client | undefined;
  let duties: Duties | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();

  async function stepDown(reason: string): Promise<void> {
    const current = duties;
    duties = undefined;
    if (current === undefined) return;
    logger.warn(options.role.lost, { reason, db: target });
    await current.stop();
  }

  function dropConnection(reason: string): Promise<void> {
    const current = client;
    client = undefined;
    current?.end().catch(() => undefined);
    return stepDown(reason);
  }

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client(options.connection);
    // A failure of an idle connection arrives as an event; without a listener Node would crash.
    fresh.on('error', (error) => {
      if (client === fresh) void dropConnection(`connection failed: ${error.message}`);
    });
    fresh.on('end', () => {
      if (client === fresh) void dropConnection('connection closed');
    });
    fresh.on('notification', () => {
      if (client === fresh) duties?.notified?.();
    });
    await fresh.connect();
    return fresh;
  }

  async function attempt(): Promise<void> {
    try {
      if (duties !== undefined) {
        await client!.query('SELECT 1');
        return;
      }
      client ??= await connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [options.role.lock]);
      if (rows[0]?.locked === true && !stopped) {
        // Listening before the duties start: a commit between the two would otherwise go unnoticed until the next poll.
        if (options.role.channel !== undefined) await client.query(`LISTEN ${options.role.channel}`);
        duties = options.start();
        logger.info(options.role.won, { db: target, pid: process.pid });
      }
    } catch (error) {
      await dropConnection(`leader check failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function schedule(delay: number): void {
    timer = setTimeout(() => {
      tick = attempt().finally(() => {
        if (!stopped) schedule(options.intervalMillis);
      });
    }, delay);
    timer.unref();
  }

  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await tick;
      const current = duties;
      duties = undefined;
      await current?.stop();
      const connection = client;
      client = undefined;
      // Closing the connection releases the lock at once, so another process can take over.
      await connection?.end().catch(() => undefined);
    },
  };
}
