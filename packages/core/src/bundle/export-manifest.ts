/**
 * The export manifest: the log's signed word on what one export contains, so that removing a whole
 * chain from a bundle (its events and its chain statement together) is caught like any other
 * removal. A C2SP signed note by the log key, body:
 *
 *   facto.v1 export-manifest
 *   <origin>
 *   tree <tree size of the bundle's checkpoint>
 *   query <the export's query as RFC 8785 JSON>
 *   events <number of events>
 *   erasures <number of erasure entries>
 *   chain <["agent_id","chain_id",<number of distinct seq>] as JSON>     (one line per chain, sorted)
 */
import { canonicalize } from '../canonicalize.js';
import { chainKey } from '../chain/verify-chains.js';
import { FactoError } from '../errors.js';
import { openNote, parseVerifierKey, type VerifierKey } from '../note/index.js';
import { CHECKPOINT_NOT_OPENED, type Checkpointed } from './types.js';

export interface ExportManifest {
  readonly origin: string;
  readonly treeSize: number;
  readonly query: Readonly<Record<string, string>>;
  readonly events: number;
  readonly erasures: number;
  readonly chains: readonly { readonly agentId: string; readonly chainId: string; readonly count: number }[];
}

const HEADER = 'facto.v1 export-manifest';
const NUMBER = /^(?:0|[1-9][0-9]*)$/;

function fail(message: string): never {
  throw new FactoError('bundle_format', `export manifest: ${message}`);
}

export function formatExportManifest(manifest: ExportManifest): string {
  const chains = [...new Set(manifest.chains.map((chain) => `chain ${canonicalize([chain.agentId, chain.chainId, chain.count])}`))].sort();
  return [HEADER, manifest.origin, `tree ${manifest.treeSize}`, `query ${canonicalize(manifest.query)}`, `events ${manifest.events}`, `erasures ${manifest.erasures}`, ...chains, ''].join('\n');
}

function integer(text: string | undefined, what: string): number {
  if (text === undefined || !NUMBER.test(text) || !Number.isSafeInteger(Number(text))) fail(`${what} must be a decimal integer`);
  return Number(text);
}

export function parseExportManifest(body: string): ExportManifest {
  const lines = body.split('\n');
  if (lines[0] !== HEADER || lines[lines.length - 1] !== '' || lines.length < 7) fail('not a facto.v1 export manifest');
  const [, origin, tree, query, events, erasures, ...rest] = lines;
  rest.pop();
  if (!tree!.startsWith('tree ') || !query!.startsWith('query ') || !events!.startsWith('events ') || !erasures!.startsWith('erasures ')) fail('malformed header lines');
  let parsedQuery: unknown;
  try {
    parsedQuery = JSON.parse(query!.slice('query '.length));
  } catch {
    fail('query must be JSON');
  }
  if (typeof parsedQuery !== 'object' || parsedQuery === null || Array.isArray(parsedQuery) || Object.values(parsedQuery).some((value) => typeof value !== 'string')) {
    fail('query must be an object of strings');
  }
  const chains = rest.map((line) => {
    if (!line.startsWith('chain ')) fail(`unexpected line "${line.slice(0, 40)}"`);
    let entry: unknown;
    try {
      entry = JSON.parse(line.slice('chain '.length));
    } catch {
      fail('a chain line must be JSON');
    }
    if (!Array.isArray(entry) || entry.length !== 3 || typeof entry[0] !== 'string' || typeof entry[1] !== 'string' || !Number.isSafeInteger(entry[2]) || entry[2] < 0) {
      fail('a chain line must be ["agent_id","chain_id",count]');
    }
    return { agentId: entry[0] as string, chainId: entry[1] as string, count: entry[2] as number };
  });
  const manifest = { origin: origin!, treeSize: integer(tree!.slice(5), 'tree size'), query: parsedQuery as Record<string, string>, events: integer(events!.slice(7), 'events'), erasures: integer(erasures!.slice(9), 'erasures'), chains };
  // One spelling only: RFC 8785 JSON, chain lines sorted and distinct (section 13).
  if (formatExportManifest(manifest) !== body) fail('not in canonical form (JSON not RFC 8785, or chain lines not sorted and distinct)');
  return manifest;
}

/** What a bundle holds, as the manifest check needs it. */
export interface BundleContents {
  readonly manifest: unknown;
  readonly query: unknown;
  readonly events: number;
  readonly erasures: number;
  /** Distinct seqs held per chain, keyed by chainKey(agent_id, chain_id). */
  readonly chains: ReadonlyMap<string, number>;
}

/**
 * The query the bundle's manifest signs, when the manifest opens with one of the trusted log keys
 * (given as text) and parses; undefined otherwise. Unlike the bundle's own `query` member, which
 * nothing signs, it cannot be edited to point the caller's keys at another agent.
 */
export function signedManifestQuery(manifest: unknown, logKeys: string | readonly string[]): Readonly<Record<string, string>> | undefined {
  if (typeof manifest !== 'string') return undefined;
  const keys: VerifierKey[] = [];
  for (const text of typeof logKeys === 'string' ? [logKeys] : logKeys) {
    try {
      keys.push(parseVerifierKey(text));
    } catch {
      // An unusable log key is reported where the checkpoint is opened.
    }
  }
  try {
    return parseExportManifest(openNote(manifest, keys).text).query;
  } catch {
    return undefined;
  }
}

/**
 * Section 13.1: the manifest must be signed by the log, made at the checkpoint's size, and list
 * exactly the query, events, erasure entries and chains (with their counts) the bundle holds.
 * Returns the problems found; shared by verifyBundle and verifyBundleStream.
 */
export function checkExportManifest(bundle: BundleContents, logKeys: readonly VerifierKey[], checkpoint: Checkpointed | undefined): string[] {
  if (typeof bundle.manifest !== 'string') return ['no export manifest: a chain removed together with its statement could not be detected'];
  let manifest: ExportManifest;
  try {
    manifest = parseExportManifest(openNote(bundle.manifest, logKeys).text);
  } catch (error) {
    return [`manifest: ${(error as Error).message}`];
  }
  const errors: string[] = [];
  if (checkpoint === undefined) errors.push(`manifest: its origin and tree size could not be compared with the checkpoint: ${CHECKPOINT_NOT_OPENED}`);
  else {
    if (manifest.origin !== checkpoint.origin) errors.push('manifest: from another log');
    if (manifest.treeSize !== checkpoint.treeSize) errors.push(`manifest: made at tree size ${manifest.treeSize}, the checkpoint is at ${checkpoint.treeSize}`);
  }
  if (canonicalize(manifest.query) !== canonicalize(bundle.query ?? {})) errors.push("manifest: the bundle's query differs from the signed one");
  if (manifest.events !== bundle.events) errors.push(`manifest: lists ${manifest.events} events, the bundle holds ${bundle.events}`);
  if (manifest.erasures !== bundle.erasures) errors.push(`manifest: lists ${manifest.erasures} erasure entries, the bundle holds ${bundle.erasures}`);
  const listed = new Set<string>();
  for (const chain of manifest.chains) {
    const key = chainKey(chain.agentId, chain.chainId);
    listed.add(key);
    const count = bundle.chains.get(key) ?? 0;
    if (count !== chain.count) errors.push(`manifest: chain ${chain.agentId}/${chain.chainId} should hold ${chain.count} events, the bundle holds ${count}`);
  }
  for (const key of bundle.chains.keys()) if (!listed.has(key)) errors.push(`manifest: the bundle holds chain ${key} that the manifest does not list`);
  return errors;
}
