/**
 * `facto explain FACTO_ID`: everything about one event. Its fields and content (each value shown and
 * opened against its commitment, or marked erased and by which erasure entry), its neighbours in the
 * span tree and in its chain with the link status both ways, its Merkle leaf, and the checks made
 * here rather than taken from the collector: the record hashed again, the signature verified under a
 * key the user holds, and the inclusion proof verified against the latest signed checkpoint opened
 * with the log key. Neighbours are found among the agent's events received near this one.
 */
import { fromHex, hashLeaf, hashRecord, isFactoId, openCheckpoint, parseVerifierKey, toHex, verifyInclusion } from '@facto/core';
import { CliError } from './cli-error.js';
import { EXIT_DENIED, EXIT_NOT_FOUND, EXIT_NOT_VERIFIED, EXIT_OK, EXIT_USAGE, type CliIo, type Command } from './cli-io.js';
import { CollectorClient, CONNECTION_FLAGS, CONNECTION_USAGE, resolveConnection } from './collector-client.js';
import { checkEvent, KeyRing, type EventCheck, type EventJson } from './event-check.js';
import { renderExplanation, type Explanation, type Neighbour } from './explain-render.js';
import { readKeyFlag, readLogKey, type AgentKeyArgument } from './key-input.js';
import { parseCommandLine } from './parse-flags.js';
import { styleFor } from './terminal.js';

const USAGE = `Usage: facto explain FACTO_ID [--key KEY...] [--log-key VKEY] [--json]

Everything about one event: its fields and content (or that the content was erased, and by which
erasure entry), its parent, children and siblings in the span tree, the events before and after it in
its chain and whether they link, its Merkle leaf index, and its inclusion proof checked here against
the latest signed checkpoint, opened with the log key.

  --key KEY       The agent's public key (PEM file or the key string facto keygen prints), to check
                  the signature here. Without it the collector's registry is used if the token
                  allows, else the collector's own verdict is shown as such.
  --log-key VKEY  The log's verifier key, pinned out of band (without it, GET /v1/log's is used and
                  the output says so: a collector cannot vouch for its own key).
  --json          Print the explanation as JSON.
${CONNECTION_USAGE}

Exit codes: 0 every check holds, 1 a check fails, 2 usage, 3 collector unreachable, 4 token refused,
5 no such event, 7 a key file could not be read.
`;

const FLAGS = { ...CONNECTION_FLAGS, key: { type: 'string', multiple: true }, 'log-key': { type: 'string' }, json: { type: 'boolean' } } as const;

/** How far around the event (by time received) its neighbours are looked for, and how many events at most. */
const NEIGHBOURHOOD_MILLIS = 10 * 60_000;
const NEIGHBOURHOOD_EVENTS = 5_000;

interface ServerVerification {
  readonly ok: boolean;
  readonly signature: { readonly ok: boolean; readonly key_status: string };
}

function neighbour(event: EventJson, relation: string): Neighbour {
  return { relation, factoId: event.facto_id, leafIndex: event.leaf_index, seq: event.seq, name: event.name, actionType: event.action_type, spanId: event.record.span_id };
}

async function agentEventsAround(client: CollectorClient, event: EventJson): Promise<{ events: EventJson[]; complete: boolean }> {
  const received = Date.parse(event.received_at);
  const query = new URLSearchParams({ agent_id: event.agent_id, order: 'asc', limit: '1000', since: new Date(received - NEIGHBOURHOOD_MILLIS).toISOString(), until: new Date(received + NEIGHBOURHOOD_MILLIS).toISOString() });
  const events: EventJson[] = [];
  for (;;) {
    const page = await client.json<{ events: EventJson[]; next_cursor: string | null }>(`/v1/events?${query}`);
    events.push(...page.events);
    if (page.next_cursor === null) return { events, complete: true };
    if (events.length >= NEIGHBOURHOOD_EVENTS) return { events, complete: false };
    query.set('cursor', page.next_cursor);
  }
}

async function keysFor(client: CollectorClient, given: readonly AgentKeyArgument[], agentId: string): Promise<KeyRing | undefined> {
  if (given.length > 0) return KeyRing.pinned(given, agentId, '');
  try {
    return await KeyRing.registry(client, agentId);
  } catch (error) {
    if (CliError.isInstance(error) && error.exitCode === EXIT_DENIED) return undefined;
    throw error;
  }
}

export const explainCommand: Command = {
  usage: () => USAGE,

  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { values: flags, positionals } = parseCommandLine(args, FLAGS, { min: 1, max: 1, names: 'a FACTO_ID (ft-<uuid>), as tail, the API or a bundle show it' });
    const factoId = positionals[0]!;
    if (!isFactoId(factoId)) throw new CliError(`${JSON.stringify(factoId)} is not a facto_id: expected "ft-" and a lowercase UUID`, EXIT_USAGE);
    // Keys are read before the collector is asked anything, so a mistyped key file is reported as such.
    const pinnedLogKey = flags['log-key'] === undefined ? undefined : readLogKey(flags['log-key']);
    const givenKeys = (flags.key ?? []).map((key) => readKeyFlag(key));
    const client = new CollectorClient(resolveConnection(flags, io.env));

    const event = await client.json<EventJson & { verification: ServerVerification }>(`/v1/events/${factoId}`).catch((error: unknown) => {
      if (CliError.isInstance(error) && error.exitCode === EXIT_NOT_FOUND) throw new CliError(`no event ${factoId} in the collector at ${client.endpoint}`, EXIT_NOT_FOUND);
      throw error;
    });
    const log = await client.json<{ verifier_key: string }>('/v1/log');
    const logKey = pinnedLogKey ?? log.verifier_key;
    const keys = await keysFor(client, givenKeys, event.agent_id);
    const check: EventCheck | undefined = keys === undefined ? undefined : checkEvent(event, keys);
    let computedHash = check?.computedHash;
    if (computedHash === undefined) {
      try {
        computedHash = toHex(hashRecord(event.record));
      } catch {
        computedHash = undefined;
      }
    }

    // The inclusion proof against the newest checkpoint covering the leaf, opened with the log key.
    const proof = await client.json<{ tree_size: number; hashes: string[] }>(`/v1/proofs/inclusion?facto_id=${factoId}`);
    const note = await client.text(`/v1/checkpoints/${proof.tree_size}`);
    let inclusion: Explanation['inclusion'];
    try {
      const { checkpoint } = openCheckpoint(note, [parseVerifierKey(logKey)]);
      const included =
        computedHash !== undefined &&
        verifyInclusion({ leafHash: hashLeaf(fromHex(computedHash, 'hash', 32)), index: event.leaf_index, treeSize: checkpoint.treeSize, proof: proof.hashes.map((hash) => fromHex(hash, 'proof', 32)), root: checkpoint.rootHash });
      inclusion = { ok: included, treeSize: checkpoint.treeSize, rootHash: toHex(checkpoint.rootHash), origin: checkpoint.origin, error: included ? undefined : 'the proof does not lead from this record to the signed root' };
    } catch (error) {
      inclusion = { ok: false, treeSize: proof.tree_size, rootHash: undefined, origin: undefined, error: `the checkpoint does not open with the log key (${(error as Error).message})` };
    }

    let erasure: Explanation['erasure'];
    if (event.erased_by !== null) {
      const erased = await client.json<{ kind: string; entry_hash: string; hashes: string[] }>(`/v1/proofs/inclusion?leaf_index=${event.erased_by}&tree_size=${Math.max(proof.tree_size, event.erased_by + 1)}`).catch(() => undefined);
      erasure = { leafIndex: event.erased_by, entryHash: erased?.entry_hash, kind: erased?.kind };
    }

    const around = await agentEventsAround(client, event);
    const record = event.record;
    const sameTrace = around.events.filter((other) => other.record.trace_id === record.trace_id && other.facto_id !== factoId);
    const sameChain = around.events.filter((other) => other.chain_id === event.chain_id);
    const previous = sameChain.find((other) => other.seq === event.seq - 1);
    const next = sameChain.find((other) => other.seq === event.seq + 1);
    const hashOf = (other: EventJson) => {
      try {
        return toHex(hashRecord(other.record));
      } catch {
        return undefined;
      }
    };
    const chainStatus = await client.json<{ intact: boolean; length: number; head: { seq: number } | null; undeclared_gaps: number; bad_links: unknown[] }>(`/v1/chains/${encodeURIComponent(event.agent_id)}/${encodeURIComponent(event.chain_id)}`);

    const problems = [...(check?.errors ?? []), ...(inclusion.ok ? [] : [`inclusion: ${inclusion.error}`])];
    if (check === undefined && !event.verification.signature.ok) problems.push(`signature: the collector reports it does not hold (key ${event.verification.signature.key_status})`);
    if (previous !== undefined && hashOf(previous) !== record.prev_hash) problems.push(`chain: prev_hash is not the hash of seq ${previous.seq} (${previous.facto_id})`);
    if (next !== undefined && computedHash !== undefined && next.record.prev_hash !== computedHash) problems.push(`chain: seq ${next.seq} (${next.facto_id}) does not link to this record`);

    const explanation: Explanation = {
      event,
      check,
      signatureSource: keys === undefined ? 'collector' : keys.source,
      givenKeyIds: givenKeys.map((key) => key.keyId),
      collectorSignature: event.verification.signature,
      computedHash,
      inclusion,
      logKey: { key: logKey, pinned: pinnedLogKey !== undefined },
      erasure,
      chain: {
        status: chainStatus,
        previous: previous === undefined ? undefined : { ...neighbour(previous, 'previous'), links: hashOf(previous) === record.prev_hash },
        next: next === undefined ? undefined : { ...neighbour(next, 'next'), links: computedHash !== undefined && next.record.prev_hash === computedHash },
      },
      spanTree: {
        traceId: record.trace_id,
        parent: sameTrace.filter((other) => other.record.span_id === record.parent_span_id).map((other) => neighbour(other, 'parent'))[0],
        children: sameTrace.filter((other) => other.record.parent_span_id === record.span_id).map((other) => neighbour(other, 'child')),
        siblings: record.parent_span_id === '' ? [] : sameTrace.filter((other) => other.record.parent_span_id === record.parent_span_id && other.record.span_id !== record.span_id).map((other) => neighbour(other, 'sibling')),
        windowMinutes: NEIGHBOURHOOD_MILLIS / 60_000,
        complete: around.complete,
      },
      problems,
    };
    io.stdout.write(renderExplanation(explanation, flags.json ?? false, styleFor(io.stdout, io.env)));
    return problems.length === 0 ? EXIT_OK : EXIT_NOT_VERIFIED;
  },
};
