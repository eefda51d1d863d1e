/**
 * `facto keys add|list|revoke`: the collector's agent key registry, through its admin API. Under
 * strict trust the collector accepts a span only under a key registered for its agent and valid when
 * the span was signed; revoking a key makes ingest refuse it and every verification stop trusting it.
 */
import { keyId as computeKeyId, toHex } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_OK, EXIT_USAGE, type CliIo, type Command } from './cli-io.js';
import { CollectorClient, CONNECTION_FLAGS, CONNECTION_USAGE, resolveConnection } from './collector-client.js';
import { readAgentKey } from './key-input.js';
import { parseCommandLine } from './parse-flags.js';
import { printable, printableDeep, printableJson, styleFor } from './terminal.js';
import { readTime } from './time-input.js';

const USAGE = `Usage: facto keys add --agent ID KEY [--not-before TIME] [--not-after TIME]
       facto keys list [--agent ID]
       facto keys revoke --agent ID KEY_ID|KEY [--at TIME]

Manages the collector's agent key registry (the admin API, /v1/admin/keys). Under --trust strict the
collector accepts a span only under a key registered for its agent and valid when it was signed.

  KEY                A public key: a PEM file (the .pub facto keygen writes) or the key string
                     facto keygen prints (64 hex digits).
  KEY_ID             The key's id (32 hex digits), as facto keys list shows it.
  --agent ID         The agent the key signs for (add, revoke); the agent to list (list).
  --not-before TIME  The key is valid for spans signed from this time (RFC 3339, ms since the epoch,
                     or a duration back from now: 90s, 15m, 2h, 7d).
  --not-after TIME   ...and until this time. Adding a key again updates its window; it never lifts
                     a revocation.
  --at TIME          When the key stopped being trustworthy (revoke; default now). Spans signed
                     after it are refused, and verifications no longer trust the key at all.
  --json             Print the collector's answer as JSON.
${CONNECTION_USAGE}
                   The admin API needs the collector's admin token.

Exit codes: 0 done, 2 usage, 3 collector unreachable, 4 token refused, 5 no such key (revoke),
6 the key is registered to another agent (add), 7 a key file could not be read.
`;

interface KeyJson {
  readonly agent_id: string;
  readonly key_id: string;
  readonly public_key: string;
  readonly not_before: string | null;
  readonly not_after: string | null;
  readonly revoked_at: string | null;
  readonly source: string;
  readonly created_at: string;
}

/** A time flag as the API takes it: a duration back from now becomes its RFC 3339 time; absent is null. */
const optionalTime = (value: string | undefined) => (value === undefined ? null : readTime(value));

const FLAGS = { ...CONNECTION_FLAGS, agent: { type: 'string' }, 'not-before': { type: 'string' }, 'not-after': { type: 'string' }, at: { type: 'string' }, json: { type: 'boolean' } } as const;

function requireAgent(agent: string | undefined, action: string): string {
  if (agent === undefined || agent === '') throw new CliError(`--agent ID is required: say whose key to ${action}`, EXIT_USAGE);
  return agent;
}

function windowText(key: KeyJson): string {
  return `${key.not_before ?? 'any time'} .. ${key.not_after ?? 'no end'}`;
}

export const keysCommand: Command = {
  usage: () => USAGE,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const [action, ...rest] = args;
    if (action !== 'add' && action !== 'list' && action !== 'revoke') {
      throw new CliError(action === undefined ? 'say what to do: add, list or revoke' : `unknown action ${JSON.stringify(action)}: expected add, list or revoke`, EXIT_USAGE);
    }
    const { values: flags, positionals } = parseCommandLine(rest, FLAGS, action === 'list' ? { min: 0, max: 0, names: 'no argument' } : { min: 1, max: 1, names: action === 'add' ? 'the KEY to add' : 'the KEY_ID (or KEY) to revoke' });
    const client = new CollectorClient(resolveConnection(flags, io.env));
    const style = styleFor(io.stdout, io.env);
    // --json gives the collector's answer as it is (JSON-escaped); text shows it made printable.
    const print = (key: KeyJson, headline: (shown: KeyJson) => string) => {
      if (flags.json) io.stdout.write(`${printableJson(JSON.stringify(key, null, 2))}\n`);
      else {
        const shown = printableDeep(key);
        io.stdout.write(`${headline(shown)}\n  agent ${shown.agent_id}, key id ${shown.key_id}\n  valid for spans signed ${windowText(shown)}${shown.revoked_at ? `\n  revoked at ${shown.revoked_at}` : ''}\n`);
      }
    };

    if (action === 'add') {
      const agentId = requireAgent(flags.agent, 'register');
      const key = readAgentKey(positionals[0]!, 'KEY');
      if (key.agentId !== undefined && key.agentId !== agentId) throw new CliError(`KEY names agent ${JSON.stringify(key.agentId)} but --agent is ${JSON.stringify(agentId)}`, EXIT_USAGE);
      const response = await client.request('/v1/admin/keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agent_id: agentId, public_key: toHex(key.publicKey), not_before: optionalTime(flags['not-before']), not_after: optionalTime(flags['not-after']) }),
      });
      const added = (await response.json()) as KeyJson;
      print(added, (shown) => (response.status === 201 ? style.green(`Registered key ${shown.key_id} for agent ${shown.agent_id}.`) : `Updated the validity window of key ${shown.key_id}.`));
      return EXIT_OK;
    }

    if (action === 'revoke') {
      const agentId = requireAgent(flags.agent, 'revoke');
      const given = positionals[0]!;
      const keyId = /^[0-9a-f]{32}$/.test(given) ? given : computeKeyId(readAgentKey(given, 'KEY_ID').publicKey);
      const revoked = await client.postJson<KeyJson>(`/v1/admin/keys/${encodeURIComponent(agentId)}/${keyId}/revoke`, flags.at === undefined ? {} : { revoked_at: readTime(flags.at) });
      print(revoked, (shown) => style.yellow(`Revoked key ${shown.key_id} of agent ${shown.agent_id}: ingest refuses it, and verifications no longer trust it.`));
      return EXIT_OK;
    }

    const { keys } = await client.json<{ keys: KeyJson[] }>(`/v1/admin/keys${flags.agent === undefined ? '' : `?agent_id=${encodeURIComponent(flags.agent)}`}`);
    if (flags.json) {
      io.stdout.write(`${printableJson(JSON.stringify(keys, null, 2))}\n`);
      return EXIT_OK;
    }
    if (keys.length === 0) {
      io.stdout.write(`No keys registered${flags.agent === undefined ? '' : ` for agent ${flags.agent}`}.\n`);
      return EXIT_OK;
    }
    const rows = [['AGENT', 'KEY ID', 'VALID FROM', 'VALID UNTIL', 'REVOKED', 'SOURCE'], ...keys.map((key) => [key.agent_id, key.key_id, key.not_before ?? '-', key.not_after ?? '-', key.revoked_at ?? '-', key.source].map(printable))];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    rows.forEach((row, index) => {
      const line = row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
      io.stdout.write(`${index === 0 ? style.bold(line) : keys[index - 1]!.revoked_at ? style.dim(line) : line}\n`);
    });
    return EXIT_OK;
  },
};
