/**
 * `facto verify`: with a bundle file, an offline verification trusting only the keys given
 * (verify-bundle-file.ts); without one, an audit of a live collector through its API
 * (verify-live.ts). One command, because both answer the same question: does the evidence hold?
 */
import { CliError } from './cli-error.js';
import { EXIT_USAGE, type CliIo, type Command } from './cli-io.js';
import { CollectorClient, CONNECTION_FLAGS, CONNECTION_USAGE, resolveConnection } from './collector-client.js';
import { readKeyFlag, readLogKey } from './key-input.js';
import { parseCommandLine } from './parse-flags.js';
import { requireLogKey, verifyBundleFile } from './verify-bundle-file.js';
import { auditCollector } from './verify-live.js';

const USAGE = `Usage: facto verify BUNDLE --key KEY... --log-key VKEY [--trust-bundle-keys]
       facto verify [--endpoint URL] [--agent ID] [--state FILE] [--key KEY...] [--log-key VKEY]

With BUNDLE: verifies an evidence bundle (from facto export) offline, trusting nothing but the keys
given here: every record's hash and signature, every inclusion proof against the signed checkpoint,
every chain against its signed statement (a removed, reordered, duplicated or re-signed event, a
truncated chain, a checkpoint from another log, a removed erasure entry all fail), and the signed
manifest. BUNDLE is a file: it is read as a stream, twice, never whole.

Without BUNDLE: audits a live collector as a monitor would. Opens its latest checkpoint with the log
key; checks every event's hash, signature and content here; walks every chain; recomputes the Merkle
root from the leaves it serves (with --agent: proves each of the agent's events into the tree).

  --key KEY          An agent's public key: a PEM file or the key string facto keygen prints, as
                     AGENT=KEY, or bare for the bundle's agent (or --agent's). Repeat for more.
                     A live audit without --key uses the collector's registry (admin token needed).
  --log-key VKEY     The log's verifier key (name+keyid+base64), or a file holding it. Obtain it out
                     of band: a bundle or a collector cannot vouch for its own key.
  --trust-bundle-keys  Also trust the agent keys the bundle carries (weaker: it says so).
  --agent ID         Audit only this agent's events and chains.
  --state FILE       Keep the last checkpoint seen here, and prove the next one extends it, so a log
                     that rewrote its history fails the next audit. Remembers the log key too.
  --json             Print the report as JSON.
${CONNECTION_USAGE}

Exit codes: 0 everything holds, 1 something does not (the problems are listed: which event, which
check), 2 usage, 3 collector unreachable, 4 token refused, 7 a file could not be read or written.
`;

const FLAGS = {
  ...CONNECTION_FLAGS,
  key: { type: 'string', multiple: true },
  'log-key': { type: 'string' },
  'trust-bundle-keys': { type: 'boolean' },
  agent: { type: 'string' },
  state: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const verifyCommand: Command = {
  usage: () => USAGE,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { values: flags, positionals } = parseCommandLine(args, FLAGS, { min: 0, max: 1, names: 'at most one BUNDLE file' });
    const keys = (flags.key ?? []).map((key) => readKeyFlag(key));
    const logKey = flags['log-key'] === undefined ? undefined : readLogKey(flags['log-key']);
    const bundle = positionals[0];
    if (bundle !== undefined) {
      for (const flag of ['endpoint', 'token', 'agent', 'state'] as const) {
        if (flags[flag] !== undefined) throw new CliError(`--${flag} is for auditing a collector; a bundle is verified offline, from the file and the keys alone`, EXIT_USAGE);
      }
      if (keys.length === 0 && !flags['trust-bundle-keys']) throw new CliError("--key is required: the agents' public keys (or --trust-bundle-keys to take the bundle's own, which proves less)", EXIT_USAGE);
      return verifyBundleFile(bundle, { keys, logKey: requireLogKey(logKey), trustBundleKeys: flags['trust-bundle-keys'] ?? false, json: flags.json ?? false }, io);
    }
    if (flags['trust-bundle-keys']) throw new CliError('--trust-bundle-keys is for a bundle file', EXIT_USAGE);
    const client = new CollectorClient(resolveConnection(flags, io.env));
    return auditCollector(client, { agent: flags.agent, keys, logKey, statePath: flags.state, json: flags.json ?? false }, io);
  },
};
