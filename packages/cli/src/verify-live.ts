/**
 * `facto verify --endpoint URL`: a live collector audited as a monitor would, through its API only.
 * The latest checkpoint is opened with the log key; with --state, it must extend the one the last
 * audit saw (an RFC 9162 consistency proof), or the log rewrote its history. Then every event up to
 * the checkpoint is checked here (event-check.ts), every chain is walked (core's verifyChains), and
 * the Merkle root is recomputed from the leaves the collector serves (events and erasure entries, in
 * leaf order) and compared with the signed one; a leaf that is neither is a deleted row. With
 * --agent, each of the agent's events gets an inclusion proof instead, checked against the root.
 */
import { fromHex, hashLeaf, MerkleTree, openCheckpoint, parseVerifierKey, toHex, verifyConsistency, verifyInclusion } from '@facto/core';
import { ChainLedger } from './chain-ledger.js';
import { openAuditState, readAuditState, writeAuditState, type AuditState } from './audit-state.js';
import { CliError } from './cli-error.js';
import { EXIT_NOT_FOUND, EXIT_NOT_VERIFIED, EXIT_OK, type CliIo } from './cli-io.js';
import type { CollectorClient } from './collector-client.js';
import { checkEvent, KeyRing, type EventJson } from './event-check.js';
import { counted, eventPlace, Findings } from './findings.js';
import type { AgentKeyArgument } from './key-input.js';
import { count, progressBar } from './progress-bar.js';
import { printable, printableJson, styleFor } from './terminal.js';

export interface LiveAuditOptions {
  readonly agent: string | undefined;
  readonly keys: readonly AgentKeyArgument[];
  readonly logKey: string | undefined;
  readonly statePath: string | undefined;
  readonly json: boolean;
}

interface ProofJson {
  readonly kind: 'event' | 'erasure';
  readonly entry_hash: string;
  readonly hashes: readonly string[];
}

const PAGE = 1000;
/** Inclusion proofs fetched at once in --agent mode. */
const PROOF_CONCURRENCY = 8;

export async function auditCollector(client: CollectorClient, options: LiveAuditOptions, io: CliIo): Promise<number> {
  const style = styleFor(io.stdout, io.env);
  const progress = progressBar(io.stderr, io.env, 'Auditing', count);
  const findings = new Findings(io, style, options.json, () => progress.finish());
  const log = await client.json<{ origin: string; verifier_key: string }>('/v1/log');
  const state = options.statePath === undefined ? undefined : await readAuditState(options.statePath);
  // The kept checkpoint is checked before anything is compared with it (exit 7 when the file is not what it signed).
  if (state !== undefined) openAuditState(options.statePath!, state, options.logKey);
  if (!options.json) io.stdout.write(`Auditing the collector at ${client.endpoint} (log ${printable(log.origin)})${options.agent === undefined ? '' : `, agent ${options.agent}`}\n`);
  if (state !== undefined && state.endpoint !== client.endpoint) {
    findings.warning(`the state file was kept by an audit of the collector at ${state.endpoint}, not ${client.endpoint}; if that is another log, keep another --state file for it`);
  }

  // The log key: pinned on the command line, else remembered by the state file, else the collector's word.
  const logKey = options.logKey ?? state?.log_key ?? log.verifier_key;
  if (options.logKey === undefined && state === undefined) findings.warning('the log key comes from the collector itself; pin it out of band with --log-key (or keep a --state file, which remembers it)');
  if (log.verifier_key !== logKey) {
    findings.problem(`log key: the collector ${options.logKey === undefined ? `now presents ${log.verifier_key}, not ${logKey} (the key of the last audit)` : `presents ${log.verifier_key}, not the log key given (${logKey})`}`);
  }

  const note = await client.text('/v1/checkpoints/latest');
  let checkpoint: { origin: string; treeSize: number; rootHash: Uint8Array } | undefined;
  try {
    checkpoint = openCheckpoint(note, [parseVerifierKey(logKey)]).checkpoint;
  } catch (error) {
    findings.problem(`checkpoint: the latest checkpoint does not open with the log key (${(error as Error).message})`);
  }
  const treeSize = checkpoint?.treeSize ?? 0;
  const consistent = checkpoint === undefined ? false : await checkConsistency(client, state, checkpoint, findings);

  const keys = await KeyRing.choose(client, options.keys, options.agent, (text) => findings.warning(text));
  const tree = new MerkleTree();
  let rootComputable = options.agent === undefined && checkpoint !== undefined;
  let nextLeaf = 0;
  const leaves = { events: 0, erasures: 0, missing: 0 };
  const appendOtherLeaf = async (leafIndex: number) => {
    const proof = await client.json<ProofJson>(`/v1/proofs/inclusion?leaf_index=${leafIndex}&tree_size=${treeSize}`).catch((error: unknown) => {
      if (CliError.isInstance(error) && error.exitCode === EXIT_NOT_FOUND) return undefined;
      throw error;
    });
    if (proof === undefined || proof.kind === 'event') {
      // An event the event list does not show, or no entry at all: a row removed from the store.
      leaves.missing++;
      rootComputable = false;
      return findings.problem(`leaf ${leafIndex}: missing: the collector serves no ${proof === undefined ? 'event or log entry' : 'event list entry'} for it, yet the signed tree counts it (a deleted row?)`);
    }
    leaves.erasures++;
    tree.append([hashLeaf(fromHex(proof.entry_hash, 'entry hash', 32))]);
  };

  const entries = new ChainLedger();
  const pendingAfter = new Set<string>();
  let checked = 0;
  let failed = 0;
  const proofs: Promise<void>[] = [];
  const query = new URLSearchParams({ order: 'asc', limit: String(PAGE) });
  if (options.agent !== undefined) query.set('agent_id', options.agent);
  walk: for (let cursor: string | null = ''; cursor !== null; ) {
    if (cursor !== '') query.set('cursor', cursor);
    const page: { events: EventJson[]; next_cursor: string | null } = await client.json(`/v1/events?${query}`);
    for (const event of page.events) {
      if (event.leaf_index >= treeSize) break walk;
      if (options.agent === undefined) {
        while (nextLeaf < event.leaf_index) await appendOtherLeaf(nextLeaf++);
        tree.append([hashLeaf(fromHex(event.hash, 'hash', 32))]);
        nextLeaf = event.leaf_index + 1;
      }
      leaves.events++;
      const result = checkEvent(event, keys);
      const errors = [...result.errors];
      checked++;
      if (options.agent !== undefined && checkpoint !== undefined && result.computedHash !== undefined) {
        proofs.push(proveIncluded(client, event, result.computedHash, checkpoint, findings));
        if (proofs.length >= PROOF_CONCURRENCY) await Promise.all(proofs.splice(0));
      }
      if (errors.length > 0) {
        failed++;
        findings.problem(`event ${eventPlace({ factoId: event.facto_id, leafIndex: event.leaf_index, agentId: event.agent_id, chainId: event.chain_id, seq: event.seq })}: ${errors.join('; ')}`);
      }
      // The chain as the records stand: an altered record keeps its place and shows as a broken link.
      if (result.computedHash !== undefined) entries.add({ agentId: event.record.agent_id, chainId: event.record.chain_id, seq: event.record.seq, prevHash: event.record.prev_hash, hash: result.computedHash, dropped: event.record.dropped });
      if (event.link_status === 'pending') pendingAfter.add(`${JSON.stringify([event.agent_id, event.chain_id])} ${event.seq}`);
      progress.update(checked, treeSize);
    }
    cursor = page.next_cursor;
  }
  await Promise.all(proofs);
  // Nothing failed, yet nothing was checked either: a mistyped agent id must not pass for an audit.
  if (options.agent !== undefined && checked === 0 && checkpoint !== undefined) {
    findings.warning(`the collector serves no events of agent ${JSON.stringify(options.agent)} up to tree size ${count(treeSize)}: the audit checked nothing of it (is the agent id right?)`);
  }
  if (options.agent === undefined) while (nextLeaf < treeSize && checkpoint !== undefined) await appendOtherLeaf(nextLeaf++);
  progress.finish();

  // Chain by chain, keeping counts only: a report holds its chain's findings, and a log has many chains.
  const chains = { checked: 0, intact: 0 };
  for (const chain of entries.reports()) {
    chains.checked++;
    if (chain.intact) chains.intact++;
    const name = `chain ${chain.agentId}/${chain.chainId}`;
    if (chain.forks.length > 0) findings.problem(`${name}: fork at seq ${chain.forks.map((fork) => fork.seq).join(', ')}`);
    if (chain.badLinks.length > 0) findings.problem(`${name}: broken link at seq ${chain.badLinks.map((link) => link.seq).join(', ')} (its prev_hash is not the hash of the record before)`);
    for (const gap of chain.gaps.filter((item) => !item.declared)) {
      const waiting = pendingAfter.has(`${JSON.stringify([chain.agentId, chain.chainId])} ${gap.toSeq + 1}`);
      if (waiting) findings.warning(`${name}: events ${gap.fromSeq}..${gap.toSeq} have not arrived yet (the collector still waits for them)`);
      else findings.problem(`${name}: events ${gap.fromSeq}..${gap.toSeq} are missing and were not declared dropped`);
    }
  }
  let rootMatches: boolean | undefined;
  if (rootComputable && checkpoint !== undefined) {
    rootMatches = toHex(tree.root()) === toHex(checkpoint.rootHash);
    if (!rootMatches) findings.problem(`merkle: the ${count(treeSize)} leaves the collector serves do not hash to the signed root of tree size ${treeSize}: stored hashes were changed`);
  }

  const ok = findings.problemCount === 0;
  if (checkpoint !== undefined && consistent && options.statePath !== undefined) {
    const next: AuditState = { format: 'facto.audit-state.v1', endpoint: client.endpoint, origin: checkpoint.origin, log_key: logKey, tree_size: treeSize, root_hash: toHex(checkpoint.rootHash), checkpoint: note, audited_at: new Date().toISOString() };
    await writeAuditState(options.statePath, next);
  }
  const { intact } = chains;
  const summary = {
    ok,
    endpoint: client.endpoint,
    checkpoint: checkpoint === undefined ? null : { origin: checkpoint.origin, tree_size: treeSize, root_hash: toHex(checkpoint.rootHash) },
    log_key: { key: logKey, pinned: options.logKey !== undefined || state !== undefined },
    agent_keys: keys.source,
    consistency: state === undefined ? null : { from: state.tree_size, to: treeSize, ok: consistent },
    events: { checked, verified: checked - failed, failed },
    leaves: options.agent === undefined ? leaves : null,
    merkle_root: rootMatches === undefined ? null : rootMatches,
    chains,
    problems: findings.problems,
    warnings: findings.warnings,
  };
  if (options.json) {
    io.stdout.write(`${printableJson(JSON.stringify(summary, null, 2))}\n`);
    return ok ? EXIT_OK : EXIT_NOT_VERIFIED;
  }
  // Without a checkpoint nothing was checked against it: said so, rather than counts of nothing.
  const unchecked = 'not checked: no checkpoint opened with the log key';
  const lines = [
    '',
    `  checkpoint   ${checkpoint === undefined ? 'not opened' : `tree size ${treeSize}, root ${toHex(checkpoint.rootHash)}`}, log key ${summary.log_key.pinned ? 'pinned' : 'from the collector'}`,
    `  consistency  ${state === undefined ? `no earlier checkpoint to compare with${options.statePath === undefined ? ' (keep one with --state FILE)' : ''}` : `tree size ${state.tree_size} (audit of ${printable(state.audited_at)}) to ${treeSize}: ${consistent ? 'proven' : 'NOT proven'}`}`,
    `  events       ${checkpoint === undefined ? unchecked : `${counted(checked, 'event')} checked: ${count(checked - failed)} verified, ${count(failed)} failed (agent keys ${keys.source === 'pinned' ? 'given' : 'from the registry'})`}`,
    options.agent === undefined
      ? `  leaves       ${checkpoint === undefined ? unchecked : `${count(leaves.events + leaves.erasures)} of ${count(treeSize)} accounted for (${counted(leaves.events, 'event')}, ${counted(leaves.erasures, 'erasure entry', 'erasure entries')}${leaves.missing > 0 ? `, ${count(leaves.missing)} missing` : ''})`}`
      : `  inclusion    ${checkpoint === undefined ? unchecked : 'each event proven into the signed tree'}`,
    options.agent === undefined ? `  merkle root  ${rootMatches === undefined ? 'could not be recomputed' : rootMatches ? 'recomputed from the leaves: matches the signed root' : 'recomputed from the leaves: DIFFERS from the signed root'}` : undefined,
    `  chains       ${checkpoint === undefined ? unchecked : `${counted(chains.checked, 'chain')} checked: ${count(intact)} intact${chains.checked > intact ? `, ${count(chains.checked - intact)} not` : ''}`}`,
    '',
    ok ? style.green(style.bold('VERIFIED: the log and every event in it hold.')) : style.red(style.bold(`NOT VERIFIED: ${counted(findings.problemCount, 'problem')}, listed above.`)),
    '',
  ];
  io.stdout.write(lines.filter((line) => line !== undefined).join('\n'));
  return ok ? EXIT_OK : EXIT_NOT_VERIFIED;
}

/** Whether the checkpoint extends the one the last audit saw; every way it may not is a problem. */
async function checkConsistency(client: CollectorClient, state: AuditState | undefined, checkpoint: { origin: string; treeSize: number; rootHash: Uint8Array }, findings: Findings): Promise<boolean> {
  if (state === undefined) return true;
  const rewritten = `the log's history was rewritten since the audit of ${state.audited_at}`;
  if (state.origin !== checkpoint.origin) {
    findings.problem(`consistency: the log is now ${checkpoint.origin}, the last audit saw ${state.origin}`);
    return false;
  }
  if (checkpoint.treeSize < state.tree_size) {
    findings.problem(`consistency: ${rewritten}: the log shrank from tree size ${state.tree_size} to ${checkpoint.treeSize}`);
    return false;
  }
  const { hashes } = await client.json<{ hashes: string[] }>(`/v1/proofs/consistency?from=${state.tree_size}&to=${checkpoint.treeSize}`);
  let proven = false;
  try {
    proven = verifyConsistency({ size1: state.tree_size, size2: checkpoint.treeSize, proof: hashes.map((hash) => fromHex(hash, 'proof', 32)), root1: fromHex(state.root_hash, 'root', 32), root2: checkpoint.rootHash });
  } catch {
    proven = false;
  }
  if (!proven) findings.problem(`consistency: ${rewritten}: the checkpoint at tree size ${checkpoint.treeSize} does not extend the one at ${state.tree_size}`);
  return proven;
}

async function proveIncluded(client: CollectorClient, event: EventJson, computedHash: string, checkpoint: { treeSize: number; rootHash: Uint8Array }, findings: Findings): Promise<void> {
  const proof = await client.json<ProofJson>(`/v1/proofs/inclusion?facto_id=${event.facto_id}&tree_size=${checkpoint.treeSize}`);
  let included = false;
  try {
    included = verifyInclusion({ leafHash: hashLeaf(fromHex(computedHash, 'hash', 32)), index: event.leaf_index, treeSize: checkpoint.treeSize, proof: proof.hashes.map((hash) => fromHex(hash, 'proof', 32)), root: checkpoint.rootHash });
  } catch {
    included = false;
  }
  if (!included) findings.problem(`event ${eventPlace({ factoId: event.facto_id, leafIndex: event.leaf_index })}: inclusion: its record is not proven into the signed tree of size ${checkpoint.treeSize}`);
}
