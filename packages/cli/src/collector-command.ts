/**
 * `facto collector [options]`: resolves the configuration (flags, FACTO_* variables, config file),
 * starts the collector, prints the one line `facto collector listening on <url>` that scripts wait
 * for, and runs until SIGINT or SIGTERM, then closes gracefully: in-flight requests finish, a final
 * checkpoint is signed and the store is closed before the command returns 0. A second signal during
 * that shutdown gets Node's default handling (the process ends at once), the usual escape hatch.
 */
import { configHelp, resolveConfig, startCollector } from '@facto/collector';
import { EXIT_OK, type CliIo, type Command } from './cli-io.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Resolves on the first stop signal; listening starts before the collector so none is missed. */
function watchForStop(abortSignal: AbortSignal | undefined): { stopped: Promise<void>; dispose(): void } {
  let dispose = () => {};
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      dispose();
      resolve();
    };
    dispose = () => {
      for (const name of STOP_SIGNALS) process.off(name, stop);
      abortSignal?.removeEventListener('abort', stop);
    };
    for (const name of STOP_SIGNALS) process.once(name, stop);
    if (abortSignal?.aborted) stop();
    else abortSignal?.addEventListener('abort', stop, { once: true });
  });
  return { stopped, dispose: () => dispose() };
}

export const collectorCommand: Command = {
  usage: () => configHelp(),

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const config = resolveConfig({ argv: args, env: io.env });
    const watch = watchForStop(io.signal);
    try {
      const collector = await startCollector(config);
      io.stdout.write(`facto collector listening on ${collector.url.replace(/\/$/, '')}\n`);
      await watch.stopped;
      await collector.close();
      return EXIT_OK;
    } finally {
      watch.dispose();
    }
  },
};
