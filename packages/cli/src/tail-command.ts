/**
 * `facto tail`: committed events as they come, one line each, from the collector's event stream
 * (GET /v1/stream). It starts where the user says (now, a time, or after an event), and when the
 * connection drops it reconnects with the id of the last message it printed, so the collector
 * carries on from exactly there: nothing is skipped and nothing printed twice. A reader slower than
 * the agents costs nothing: the collector catches it up from its store.
 */
import { CliError } from './cli-error.js';
import { EXIT_DENIED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, type CliIo, type Command } from './cli-io.js';
import { CollectorClient, CONNECTION_FLAGS, CONNECTION_USAGE, resolveConnection } from './collector-client.js';
import { readEventStream } from './event-stream.js';
import { parseFlags } from './parse-flags.js';
import { watchForStop } from './stop-signal.js';
import { eventLine, incidentLine, type StreamedEvent, type StreamedIncident } from './tail-line.js';
import { printable, printableJson, styleFor } from './terminal.js';
import { readTime } from './time-input.js';

const USAGE = `Usage: facto tail [--agent ID] [--chain ID] [--action TYPE] [--since TIME | --after LEAF] [-n N]

Follows the events the collector commits, one line each: time received, agent, action, model or
tool, verdict and facto_id. The verdict is "verified" (signature and chain hold), "incident" (a
committed event whose chain link is broken or missing) or "rejected" (a span the collector refused,
from its security incidents). Reconnects by itself, continuing after the last line printed.

  --agent ID       Only this agent's events.
  --chain ID       Only this chain.
  --action TYPE    Only events of this action type (chat, execute_tool, ...); incidents have none,
                   so they still show unless --no-incidents.
  --since TIME     Start with the events received from this time (RFC 3339, ms since the epoch, or a
                   duration back from now: 90s, 15m, 2h, 7d). Default: from now on.
  --after LEAF     Start after the event at this Merkle leaf index (as a previous tail printed it).
  --no-incidents   Events only: leave out the refused spans and incidents.
  -n, --limit N    Stop after N lines.
  --json           One JSON object per line (the stream's event or incident, with "type").
${CONNECTION_USAGE}

Stops on Ctrl-C (exit 0). Exit codes: 0 stopped, 2 usage, 4 token refused; an unreachable collector
is retried until it is back.
`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  agent: { type: 'string' },
  chain: { type: 'string' },
  action: { type: 'string' },
  since: { type: 'string' },
  after: { type: 'string' },
  'no-incidents': { type: 'boolean' },
  limit: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
} as const;

/** Without a message or keep-alive for this long, the connection is taken for dead and made again. */
const SILENCE_MILLIS = 45_000;
const RETRY_MILLIS = [500, 1_000, 2_000, 5_000, 10_000];

function pause(millis: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, millis);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export const tailCommand: Command = {
  usage: () => USAGE,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const flags = parseFlags(args, FLAGS);
    if (flags.since !== undefined && flags.after !== undefined) throw new CliError('give --since or --after, not both', EXIT_USAGE);
    if (flags.after !== undefined && !/^(?:-1|0|[1-9][0-9]*)$/.test(flags.after)) throw new CliError(`--after: expected a leaf index, got ${JSON.stringify(flags.after)}`, EXIT_USAGE);
    const limit = flags.limit === undefined ? Number.POSITIVE_INFINITY : Number(flags.limit);
    if (!Number.isSafeInteger(limit) && limit !== Number.POSITIVE_INFINITY) throw new CliError(`--limit: expected a number of lines, got ${JSON.stringify(flags.limit)}`, EXIT_USAGE);
    const client = new CollectorClient(resolveConnection(flags, io.env));
    const style = styleFor(io.stdout, io.env);
    const query = new URLSearchParams();
    if (flags.agent !== undefined) query.set('agent_id', flags.agent);
    if (flags.chain !== undefined) query.set('chain_id', flags.chain);
    if (flags.action !== undefined) query.set('action_type', flags.action);
    if (flags.since !== undefined) query.set('since', readTime(flags.since));
    if (!flags['no-incidents']) query.set('incidents', 'true');

    const stop = watchForStop(io.signal);
    let lastId = flags.after;
    let printed = 0;
    let failures = 0;
    let connected = false;
    try {
      while (!stop.signal.aborted && printed < limit) {
        const connection = new AbortController();
        const abort = () => connection.abort();
        stop.signal.addEventListener('abort', abort, { once: true });
        let silence = setTimeout(abort, SILENCE_MILLIS);
        try {
          const response = await client.request(`/v1/stream?${query}`, { headers: lastId === undefined ? {} : { 'last-event-id': lastId }, signal: connection.signal });
          // Said once the collector has answered: from here on, nothing it commits is missed.
          if (!connected) io.stderr.write(`facto tail: following ${client.endpoint} ${flags.since !== undefined ? `from ${query.get('since')}` : flags.after !== undefined ? `after leaf ${flags.after}` : 'from now'}; Ctrl-C to stop\n`);
          else if (failures > 0) io.stderr.write(`facto tail: reconnected${lastId === undefined ? '' : `, continuing after ${printable(lastId)}`}\n`);
          connected = true;
          failures = 0;
          for await (const message of readEventStream(response.body as unknown as AsyncIterable<Uint8Array>)) {
            clearTimeout(silence);
            silence = setTimeout(abort, SILENCE_MILLIS);
            if (message === undefined) continue;
            // Where the collector started this stream: a reconnect before any event resumes there.
            if ('lastEventId' in message) {
              lastId = message.lastEventId;
              continue;
            }
            const data = JSON.parse(message.data) as StreamedEvent | StreamedIncident;
            if (flags.json) io.stdout.write(`${printableJson(JSON.stringify({ type: message.event, ...data }))}\n`);
            else io.stdout.write(`${message.event === 'incident' ? incidentLine(data as StreamedIncident, style) : eventLine(data as StreamedEvent, style)}\n`);
            lastId = message.id ?? lastId;
            // Waiting on our own reader (`facto tail | less`) is not the collector's silence.
            clearTimeout(silence);
            await io.stdout.whenWritable?.();
            silence = setTimeout(abort, SILENCE_MILLIS);
            // The reader went away (`facto tail | head -5`): done, as with Ctrl-C.
            if (++printed >= limit || io.stdout.closed === true) break;
          }
          if (printed >= limit || stop.signal.aborted || io.stdout.closed === true) break;
          throw new Error('the collector ended the stream');
        } catch (error) {
          if (stop.signal.aborted) break;
          if (CliError.isInstance(error) && (error.exitCode === EXIT_DENIED || error.exitCode === EXIT_USAGE || error.exitCode === EXIT_NOT_FOUND)) throw error;
          const reason = connection.signal.aborted ? `no word from the collector for ${SILENCE_MILLIS / 1000} s` : (error as Error).message;
          const wait = RETRY_MILLIS[Math.min(failures, RETRY_MILLIS.length - 1)]!;
          if (failures === 0 && !connected) io.stderr.write(`facto tail: cannot follow ${client.endpoint} yet (${printable(reason)}); retrying\n`);
          else if (failures === 0) io.stderr.write(`facto tail: connection lost (${printable(reason)}); reconnecting${lastId === undefined ? '' : ` after ${printable(lastId)}`}\n`);
          failures++;
          await pause(wait, stop.signal);
        } finally {
          clearTimeout(silence);
          stop.signal.removeEventListener('abort', abort);
          connection.abort();
        }
      }
    } finally {
      stop.dispose();
    }
    return EXIT_OK;
  },
};
