/**
 * The chain statement: the log's signed word on which part of a chain a bundle covers and where the
 * chain's head stood at export time. Without it, whoever holds a bundle could drop the newest events
 * of a chain and the rest would still verify; with it, a missing tail is as visible as a missing
 * middle. It is a C2SP signed note by the log key, body:
 *
 *   facto.v1 chain-statement
 *   <origin>
 *   agent <agent_id as a JSON string>
 *   chain <chain_id as a JSON string>
 *   range <first seq> <last seq> <number of events in the range>
 *   head <head seq> <head hash hex>
 *   tree <tree size>
 */
import { canonicalize } from '../canonicalize.js';
import { FactoError } from '../errors.js';

export interface ChainStatement {
  readonly origin: string;
  readonly agentId: string;
  readonly chainId: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly count: number;
  readonly headSeq: number;
  readonly headHash: string;
  readonly treeSize: number;
}

const HEADER = 'facto.v1 chain-statement';
const NUMBER = /^(?:0|[1-9][0-9]*)$/;

export function formatChainStatement(statement: ChainStatement): string {
  return [
    HEADER,
    statement.origin,
    `agent ${canonicalize(statement.agentId)}`,
    `chain ${canonicalize(statement.chainId)}`,
    `range ${statement.firstSeq} ${statement.lastSeq} ${statement.count}`,
    `head ${statement.headSeq} ${statement.headHash}`,
    `tree ${statement.treeSize}`,
    '',
  ].join('\n');
}

function fail(message: string): never {
  throw new FactoError('bundle_format', `chain statement: ${message}`);
}

function integer(text: string | undefined, what: string): number {
  if (text === undefined || !NUMBER.test(text)) fail(`${what} must be a decimal integer`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) fail(`${what} is too large`);
  return value;
}

function jsonString(line: string | undefined, prefix: string): string {
  if (!line?.startsWith(prefix)) fail(`expected a line starting "${prefix}"`);
  let value: unknown;
  try {
    value = JSON.parse(line.slice(prefix.length));
  } catch {
    fail(`${prefix.trim()} must be a JSON string`);
  }
  if (typeof value !== 'string') fail(`${prefix.trim()} must be a JSON string`);
  return value;
}

export function parseChainStatement(body: string): ChainStatement {
  const lines = body.split('\n');
  if (lines.length !== 8 || lines[7] !== '' || lines[0] !== HEADER) fail('not a facto.v1 chain statement');
  const range = lines[4]!.split(' ');
  const head = lines[5]!.split(' ');
  const tree = lines[6]!.split(' ');
  if (range.length !== 4 || range[0] !== 'range') fail('bad range line');
  if (head.length !== 3 || head[0] !== 'head' || !/^[0-9a-f]{64}$/.test(head[2]!)) fail('bad head line');
  if (tree.length !== 2 || tree[0] !== 'tree') fail('bad tree line');
  const statement = {
    origin: lines[1]!,
    agentId: jsonString(lines[2], 'agent '),
    chainId: jsonString(lines[3], 'chain '),
    firstSeq: integer(range[1], 'first seq'),
    lastSeq: integer(range[2], 'last seq'),
    count: integer(range[3], 'count'),
    headSeq: integer(head[1], 'head seq'),
    headHash: head[2]!,
    treeSize: integer(tree[1], 'tree size'),
  };
  // One spelling only: the ids as RFC 8785 strings (which is how JSON.stringify writes a well-formed string).
  if (formatChainStatement(statement) !== body) fail('not in canonical form (agent and chain must be RFC 8785 JSON strings)');
  return statement;
}
