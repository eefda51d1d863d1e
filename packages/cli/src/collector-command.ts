/**
 * `facto collector [options]`: resolves the configuration (flags, FACTO_* variables, config file),
 * starts the collector, prints the one line `facto collector listening on <url>` that scripts wait
 * for, and runs until SIGINT or SIGTERM, then closes gracefully (the collector logs the signal): no
 * new request is taken, in-flight requests finish, a final checkpoint is signed and the store is
 * closed before the command returns 0. A second signal during that shutdown stops the process now,
 * with a log line saying what that leaves undone, and exit code 128 + the signal's number, as if the
 * signal had ended it: everything acknowledged is committed already, so what is given up is the
 * answers in flight (their exporters retry), the final checkpoint (the next start signs it) and the
 * forward queue. A collector that stops by itself (its log key did not sign the log's latest checkpoint: another key
 * signs the log) ends the command with exit 3 and that reason, as the same refusal at start does.
 */
import { constants } from 'node:os';
import { configHelp, resolveConfig, startCollector, type RunningCollector } from '@facto/collector';
import { FactoError } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, type CliIo, type Command } from './cli-io.js';
import { watchForStop } from './stop-signal.js';

export const collectorCommand: Command = {
  usage: () => configHelp(),

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const config = resolveConfig({ argv: args, env: io.env });
    const watch = watchForStop(io.signal);
    try {
      const collector = await startCollector(config).catch((error: unknown) => {
        // A file the configuration names that is missing or malformed (--keys, --log-key) is a usage error, as a bad flag value is.
        const usage = FactoError.isInstance(error) && (error.code === 'invalid_argument' || error.code === 'key_format');
        throw new CliError((error as Error).message, usage ? EXIT_USAGE : EXIT_UNAVAILABLE);
      });
      io.stdout.write(`facto collector listening on ${collector.url.replace(/\/$/, '')}\n`);
      const stop = await Promise.race([watch.stopped, collector.halted]);
      const stoppedNow = await closeUnlessStoppedAgain(collector, typeof stop === 'string' ? stop : 'its log key did not sign the log', io);
      if (stoppedNow !== undefined) return stoppedNow;
      if (typeof stop !== 'string') throw new CliError(stop.message, EXIT_UNAVAILABLE);
      return EXIT_OK;
    } finally {
      watch.dispose();
    }
  },
};

/** Closes the collector; a signal meanwhile ends the process at once: its exit code then (undefined once closed). */
async function closeUnlessStoppedAgain(collector: RunningCollector, reason: string, io: CliIo): Promise<number | undefined> {
  const again = watchForStop(undefined);
  const stoppedNow = again.stopped.then((signal) => {
    collector.context.logger.warn(`${signal} during the shutdown: exiting now without finishing it; requests in flight get no answer (their exporters retry), everything acknowledged is stored (the forward queue too, unless the database is in memory), and the final checkpoint is left to the next start`, {
      signal,
      forwardQueueNotForwarded: collector.context.forwarder?.depth ?? 0,
    });
    const code = 128 + (signal === 'abort' ? 0 : constants.signals[signal]);
    io.exit?.(code);
    return code;
  });
  try {
    return await Promise.race([collector.close(reason).then(() => undefined), stoppedNow]);
  } finally {
    again.dispose();
  }
}
