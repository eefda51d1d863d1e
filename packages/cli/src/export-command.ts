/**
 * `facto export --agent ID -o FILE`: an evidence bundle from the collector, streamed to a file. The
 * collector writes it while it is read and this command writes it while it arrives, so a chain of a
 * million events needs a million events in memory on neither side. It goes to FILE.<random>.partial first and
 * is renamed only once complete and on disk, so an interrupted export never leaves a file that looks
 * like a bundle.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from './cli-error.js';
import { EXIT_CONFLICT, EXIT_FILE, EXIT_OK, EXIT_UNAVAILABLE, EXIT_USAGE, type CliIo, type Command } from './cli-io.js';
import { CollectorClient, CONNECTION_FLAGS, CONNECTION_USAGE, resolveConnection } from './collector-client.js';
import { parseFlags } from './parse-flags.js';
import { bytes, count, progressBar } from './progress-bar.js';
import { printable, printableJson, styleFor } from './terminal.js';
import { readTime } from './time-input.js';

const USAGE = `Usage: facto export --agent ID [--chain ID] [--since TIME] [--until TIME] -o FILE

Exports an evidence bundle (docs/spec.md section 13): the agent's events with their inclusion proofs
against a checkpoint signed now, a signed statement per chain and a signed manifest of the whole.
Check it anywhere, offline, with facto verify.

  --agent ID      The agent whose events to export (required).
  --chain ID      Only this chain.
  --since TIME    Events the collector received from this time: RFC 3339, ms since the epoch, or a
  --until TIME    duration back from now (90s, 15m, 2h, 7d). A chain cut by the window is completed
                  so the bundle has no hole the log does not have.
  -o, --out FILE  Where to write the bundle; "-" for stdout. It is written to FILE.<random>.partial
                  and renamed when complete. An existing FILE is kept unless --force.
  --force         Replace an existing FILE.
  --json          Print a summary as JSON (file, bytes, events, tree size).
${CONNECTION_USAGE}

A progress bar shows on a terminal. Exit codes: 0 written, 2 usage, 3 collector unreachable or the
export broke off (nothing is left at FILE), 4 token refused, 6 FILE exists, 7 FILE not writable.
`;

const FLAGS = { ...CONNECTION_FLAGS, agent: { type: 'string' }, chain: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, json: { type: 'boolean' } } as const;

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

/** Counts events as they pass: the collector writes each on a line of its own, starting with "{". */
class EventCounter {
  count = 0;
  #lastByte = 0;
  add(chunk: Uint8Array): void {
    let previous = this.#lastByte;
    for (const byte of chunk) {
      if (byte === OPEN_BRACE && previous === NEWLINE) this.count++;
      previous = byte;
    }
    if (chunk.length > 0) this.#lastByte = chunk[chunk.length - 1]!;
  }
}

/** What is at `path` already: nothing, a file (kept unless --force), or something --force cannot replace. */
async function existing(path: string): Promise<'none' | 'file' | 'directory'> {
  return stat(path).then(
    (found) => (found.isDirectory() ? 'directory' : 'file'),
    () => 'none',
  );
}

function fileError(path: string, error: unknown): CliError {
  return new CliError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, EXIT_FILE);
}

export const exportCommand: Command = {
  usage: () => USAGE,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const flags = parseFlags(args, FLAGS);
    if (flags.agent === undefined || flags.agent === '') throw new CliError('--agent ID is required: a bundle is the evidence of one agent', EXIT_USAGE);
    const out = flags.out;
    if (out === undefined || out === '') throw new CliError('-o FILE is required (or -o - for stdout)', EXIT_USAGE);
    const before = out === '-' ? 'none' : await existing(out);
    // Said before the export, which would otherwise be streamed whole only to fail at the rename.
    if (before === 'directory') throw new CliError(`cannot write ${out}: it is a directory; give -o a file name`, EXIT_FILE);
    if (before === 'file' && !flags.force) throw new CliError(`${out} exists; choose another -o, or pass --force to replace it`, EXIT_CONFLICT);
    if (out !== '-' && before === 'none') {
      const folder = await existing(dirname(out));
      if (folder !== 'directory') throw new CliError(`cannot write ${out}: ${folder === 'none' ? `the folder ${dirname(out)} does not exist` : `${dirname(out)} is a file, not a folder`}`, EXIT_FILE);
    }
    const client = new CollectorClient(resolveConnection(flags, io.env));
    const query = new URLSearchParams({ agent_id: flags.agent });
    if (flags.chain !== undefined) query.set('chain_id', flags.chain);
    if (flags.since !== undefined) query.set('since', readTime(flags.since));
    if (flags.until !== undefined) query.set('until', readTime(flags.until));

    const response = await client.request(`/v1/export?${query}`);
    const estimate = Number(response.headers.get('facto-export-estimate') ?? Number.NaN);
    const treeSize = /facto-bundle-(\d+)\.json/.exec(response.headers.get('content-disposition') ?? '')?.[1];
    const progress = progressBar(io.stderr, io.env, 'Exporting', count);
    const counter = new EventCounter();
    let written = 0;
    let lastByte = 0;
    const receive = async (write: (chunk: Uint8Array) => Promise<void>) => {
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          await write(chunk);
          counter.add(chunk);
          written += chunk.length;
          for (let index = chunk.length - 1; index >= 0; index--) {
            if (chunk[index] !== NEWLINE && chunk[index] !== 0x20) {
              lastByte = chunk[index]!;
              break;
            }
          }
          progress.update(counter.count, Number.isFinite(estimate) ? estimate : undefined);
        }
      } catch (error) {
        if (CliError.isInstance(error)) throw error;
        throw new CliError(`the export broke off after ${bytes(written)}: ${(error as Error).message}${(error as { cause?: Error }).cause ? ` (${(error as { cause: Error }).cause.message})` : ''}`, EXIT_UNAVAILABLE);
      } finally {
        progress.finish();
      }
      // A bundle is one JSON object; an answer that stops short of its end is not one.
      if (lastByte !== 0x7d) throw new CliError(`the export ended early after ${bytes(written)}: the collector's answer is not a complete bundle`, EXIT_UNAVAILABLE);
    };

    if (out === '-') {
      // Fatal: bytes that are not UTF-8 would otherwise reach stdout as U+FFFD, another text than the collector sent.
      const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      const decode = (chunk?: Uint8Array) => {
        try {
          return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
        } catch {
          throw new CliError(`the collector's answer is not UTF-8 (within the ${bytes(written + (chunk?.length ?? 0))} received): it is not a bundle, and what was written to stdout is not one either`, EXIT_UNAVAILABLE);
        }
      };
      await receive(async (chunk) => {
        io.stdout.write(decode(chunk));
        // A reader slower than the collector holds the export back rather than the whole bundle piling up here.
        await io.stdout.whenWritable?.();
        if (io.stdout.closed === true) throw new CliError(`stdout was closed after ${bytes(written + chunk.length)}: what was written there is not a complete bundle`, EXIT_FILE);
      });
      io.stdout.write(decode());
      return EXIT_OK;
    }

    // A name nobody can guess, created only if nothing is there (wx): a symbolic link planted beside
    // FILE in a shared folder cannot turn the export into a write to another file.
    const partial = `${out}.${randomBytes(6).toString('hex')}.partial`;
    const handle = await open(partial, 'wx', 0o644).catch((error: unknown) => {
      throw fileError(partial, error);
    });
    try {
      await receive(async (chunk) => {
        await handle.write(chunk).catch((error: unknown) => {
          throw fileError(partial, error);
        });
      });
      // On disk before it takes its name: a crash after the rename must not leave a torn bundle.
      await handle.sync();
      await handle.close();
      await rename(partial, out).catch((error: unknown) => {
        throw fileError(out, error);
      });
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw error;
    }

    const { verifier_key: logKey } = await client.json<{ verifier_key: string }>('/v1/log');
    // A valid bundle, but most likely a mistyped id or window: say so, as verify does for an agent it finds nothing of.
    if (counter.count === 0) io.stderr.write(`${styleFor(io.stderr, io.env).yellow('warning:')} the collector has no events of agent ${JSON.stringify(flags.agent)} for this query: the bundle holds none (is the agent id right?)\n`);
    if (flags.json) {
      io.stdout.write(`${printableJson(JSON.stringify({ file: out, bytes: written, events: counter.count, tree_size: treeSize === undefined ? null : Number(treeSize), log_key: logKey }))}\n`);
      return EXIT_OK;
    }
    const style = styleFor(io.stdout, io.env);
    io.stdout.write(
      [
        style.green(`Exported ${count(counter.count)} events of agent ${flags.agent} to ${out} (${bytes(written)}).`),
        `Proofs are against the checkpoint at tree size ${treeSize ?? '?'}, signed by the log key`,
        `  ${printable(logKey)}`,
        'Verify it offline, trusting only keys you hold:',
        `  facto verify ${out} --key <the agent's public key> --log-key <the log key, pinned out of band>`,
        '',
      ].join('\n'),
    );
    return EXIT_OK;
  },
};
