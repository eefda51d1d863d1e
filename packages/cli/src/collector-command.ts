/**
 * `facto collector [options]`: resolves the configuration (flags, FACTO_* variables, config file),
 * starts the collector, prints the one line `facto collector listening on <url>` that scripts wait
 * for, and runs until SIGINT or SIGTERM, then closes gracefully: in-flight requests finish, a final
 * checkpoint is signed and the store is closed before the command returns 0. A second signal during
 * that shutdown gets Node's default handling (the process ends at once), the usual escape hatch. A
 * collector that stops by itself (its log key did not sign the log's latest checkpoint: another key
 * signs the log) ends the command with exit 3 and that reason, as the same refusal at start does.
 */
import { configHelp, resolveConfig, startCollector } from '@facto/collector';
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
      const halted = await Promise.race([watch.stopped.then(() => undefined), collector.halted]);
      await collector.close();
      if (halted !== undefined) throw new CliError(halted.message, EXIT_UNAVAILABLE);
      return EXIT_OK;
    } finally {
      watch.dispose();
    }
  },
};
