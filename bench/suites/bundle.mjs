/**
 * Bundle verification: `facto verify` on a generated evidence bundle of one chain (FACTO_BENCH_EVENTS
 * events, default 20,000), run as a user runs it, in its own process: events per CPU-second (one
 * core: the verifier is single-threaded), events per second, and peak memory against the bundle's
 * size. The baseline in the same run is Ed25519 verification alone on one core, since one signature
 * per event bounds the rate on any machine. Uses the built dist/.
 */
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BUNDLE_FORMAT, DEFAULT_CONTENT_KEYS, encodeVerifierKey, formatChainStatement, formatExportManifest, generateKeyPair, hashLeaf,
  inclusionProof, keyId, MemoryNodeStore, MerkleTree, sealSpan, signCheckpoint, signNote, toHex, ZERO_HASH_HEX,
} from '@facto/core';
import { row } from '../harness.mjs';

const origin = 'facto.bench/log';

/** A bundle of one chain, written as it is made (the records themselves are held, proofs are not). */
async function writeBundle(bundlePath, events) {
  const agent = generateKeyPair();
  const log = generateKeyPair();
  const tree = new MerkleTree();
  const store = new MemoryNodeStore();
  const lines = [];
  let prevHash = ZERO_HASH_HEX;
  for (let seq = 0; seq < events; seq++) {
    const span = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: (seq + 1).toString(16).padStart(16, '0'), parentSpanId: '', name: 'chat gpt-4o', kind: 3,
      startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000250000001', status: { code: 0, message: '' },
      attributes: [['gen_ai.operation.name', { s: 'chat' }], ['gen_ai.request.model', { s: 'gpt-4o' }], ['gen_ai.usage.input_tokens', { i: '420' }], ['gen_ai.input.messages', { s: 'x'.repeat(400) }]],
      events: [], links: [],
    };
    const chain = { factoId: `ft-00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`, agentId: 'bench', chainId: 'c', seq, prevHash, keyId: keyId(agent.publicKey), dropped: 0 };
    const sealed = sealSpan({ span, chain, privateKey: agent.privateKey, contentKeys: new Set(DEFAULT_CONTENT_KEYS), capture: 'hashes' });
    prevHash = toHex(sealed.hash);
    store.put(tree.append([hashLeaf(sealed.hash)]).nodes);
    lines.push(JSON.stringify({ record: sealed.record, hash: prevHash, signature: toHex(sealed.signature) }).slice(1, -1));
  }
  const treeSize = tree.size;
  const signer = { name: origin, privateKey: log.privateKey };
  const query = { agent_id: 'bench' };
  const file = openSync(bundlePath, 'w');
  // Every member section 13 requires, log_key included: a verifier refuses a bundle without one.
  writeSync(file, `{"format":"${BUNDLE_FORMAT}","log_key":${JSON.stringify(encodeVerifierKey(origin, log.publicKey))},"checkpoint":${JSON.stringify(signCheckpoint({ origin, treeSize, rootHash: tree.root() }, signer))},"query":${JSON.stringify(query)},"events":[`);
  for (let seq = 0; seq < events; seq++) {
    const proof = (await inclusionProof(store, seq, treeSize)).map(toHex);
    writeSync(file, `${seq === 0 ? '' : ','}\n{"leaf_index":${seq},${lines[seq]},"inclusion_proof":${JSON.stringify(proof)},"disclosures":[]}`);
  }
  const statement = signNote(formatChainStatement({ origin, agentId: 'bench', chainId: 'c', firstSeq: 0, lastSeq: events - 1, count: events, headSeq: events - 1, headHash: prevHash, treeSize }), [signer]);
  const manifest = signNote(formatExportManifest({ origin, treeSize, query, events, erasures: 0, chains: [{ agentId: 'bench', chainId: 'c', count: events }] }), [signer]);
  writeSync(file, `\n],"keys":[],"chains":[{"agent_id":"bench","chain_id":"c","statement":${JSON.stringify(statement)}}],"manifest":${JSON.stringify(manifest)}}\n`);
  closeSync(file);
  return { agentKey: toHex(agent.publicKey), logKey: encodeVerifierKey(origin, log.publicKey) };
}

/** Runs `facto verify` in its own process; its CPU time and peak memory come from a preload. */
function runVerify(bundlePath, agentKey, logKey) {
  const bin = fileURLToPath(new URL('../../packages/cli/bin/facto.mjs', import.meta.url));
  const preload = new URL('../report-usage.mjs', import.meta.url).href;
  const child = spawn(process.execPath, ['--import', preload, bin, 'verify', bundlePath, '--key', agentKey, '--log-key', logKey, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const startedAt = performance.now();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, seconds: (performance.now() - startedAt) / 1000, report: JSON.parse(stdout), usage: JSON.parse(/facto-bench-usage (.*)/.exec(stderr)[1]) })));
}

/** Ed25519 verifications per CPU-second through node:crypto, the floor one signature per event sets. */
function ed25519Rate(seconds) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const message = createHash('sha3-256').update('facto').digest();
  const signature = sign(null, message, privateKey);
  const before = process.cpuUsage();
  let count = 0;
  for (const end = performance.now() + seconds * 1000; performance.now() < end; count++) verify(null, message, publicKey, signature);
  const used = process.cpuUsage(before);
  return count / ((used.user + used.system) / 1e6);
}

export async function run({ smoke }) {
  const events = smoke ? 200 : Number(process.env.FACTO_BENCH_EVENTS ?? 20_000);
  const directory = mkdtempSync(join(tmpdir(), 'facto-bench-verify-'));
  const bundlePath = join(directory, 'bundle.json');
  try {
    const keys = await writeBundle(bundlePath, events);
    const size = statSync(bundlePath).size;
    const verified = await runVerify(bundlePath, keys.agentKey, keys.logKey);
    if (verified.code !== 0 || verified.report.events.verified !== events) throw new Error(`facto verify did not verify the bundle: exit ${verified.code}`);
    const perCpuSecond = events / (verified.usage.cpuMicros / 1e6);
    const signatures = ed25519Rate(smoke ? 0.2 : 1.5);
    return {
      title: `facto verify on a bundle of one chain, ${events.toLocaleString('en-US')} events (${(size / 1e6).toFixed(1)} MB), in its own process`,
      rows: [
        row('Ed25519 verify, one core (baseline)', signatures, 'verifies/s', 'node:crypto, CPU time'),
        row('events verified per CPU-second', perCpuSecond, 'events/s', `${(perCpuSecond / signatures).toFixed(2)} of the baseline; goal 5,000 on one core`),
        row('events verified per second of wall time', events / verified.seconds, 'events/s'),
        row('peak resident memory', verified.usage.maxRssKilobytes / 1024, 'MiB', `for a ${(size / 2 ** 20).toFixed(0)} MiB bundle`),
      ],
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
