/**
 * Proofs served over HTTP by the real `facto collector` from a SQLite store of 1M and 10M leaves:
 * p50/p99 latency of inclusion proofs (by leaf index, against the signed checkpoint) and consistency
 * proofs (from a random earlier size to the whole log), one request at a time over a kept-alive
 * connection, every proof checked against the root. The baseline in the same run is the same
 * collector answering GET /v1/log (no store read beyond the head), the floor of one HTTP round trip.
 *
 * The stores are built once and kept in bench/.cache: the Merkle nodes of every leaf (computed with
 * @facto/core's tree, as the collector computes them) and an event row for each sampled leaf and for
 * the last one, which is all a proof reads. Building the 10M store takes a few minutes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fromHex, generateKeyPair, hashLeaf, MerkleTree, parseVerifierKey, openCheckpoint, privateKeyToPem, verifyConsistency, verifyInclusion } from '@facto/core';
import { encodeEventBody } from '@facto/collector/sqlite-format';
import { startCollector, stopCollector } from '../collector-process.mjs';
import { percentile, row } from '../harness.mjs';

const require = createRequire(new URL('../../collector/package.json', import.meta.url));
const Database = require('better-sqlite3');
const root = new URL('../../', import.meta.url).pathname;
const SAMPLED = 2_000;
/** Rounds (one of each request) before measuring; see measureSize. */
const WARMUP_ROUNDS = 3_000;

const entryHash = (leaf) => createHash('sha256').update(`facto bench leaf ${leaf}`).digest();

/** Leaves whose events are stored: spread evenly, plus the last (the store checks it at open). */
function sampledLeaves(size) {
  const leaves = new Set([size - 1]);
  for (let index = 0; leaves.size < Math.min(size, SAMPLED); index++) leaves.add(Math.floor(((index * 2_654_435_761) % 2 ** 32) / 2 ** 32 * size));
  return [...leaves].sort((left, right) => left - right);
}

/** Builds (or reuses) a store of `size` leaves; returns its path. */
async function proofStore(size, cacheDirectory) {
  const path = join(cacheDirectory, `proofs-${size}.db`);
  if (existsSync(path)) return path;
  mkdirSync(cacheDirectory, { recursive: true });
  const building = `${path}.building`;
  rmSync(building, { force: true });
  // The schema as the collector creates it: open a store once through the real driver.
  const { createSqliteStore } = await import('@facto/collector');
  const store = createSqliteStore({ path: building, synchronous: 'NORMAL' });
  await store.init();
  await store.close();

  const db = new Database(building);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insertNode = db.prepare('INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const insertEvent = db.prepare(`INSERT INTO events (leaf_index, facto_id, agent_id, chain_id, seq, hash, prev_hash, key_id, signature, dropped, action_type,
    received_at, link_status, erased_by, context_id, body) VALUES (?, ?, 'bench-agent', 'bench-chain', ?, ?, ?, 'k', ?, 0, 'chat', ?, 'linked', NULL, 1, ?)`);
  db.prepare("INSERT INTO contexts (id, context_json) VALUES (1, '{}')").run();
  const sampled = new Set(sampledLeaves(size));
  const tree = new MerkleTree();
  const chunk = 50_000;
  const insertChunk = db.transaction((from, to) => {
    const leafHashes = [];
    for (let leaf = from; leaf < to; leaf++) {
      const entry = entryHash(leaf);
      leafHashes.push(hashLeaf(entry));
      if (sampled.has(leaf)) {
        const body = encodeEventBody({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), name: 'chat gpt-4o', startTimeUnixNano: '1', endTimeUnixNano: '2', recordJson: '{}', disclosuresJson: '[]', salt: null });
        insertEvent.run(leaf, `ft-${leaf.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`, leaf, entry, Buffer.alloc(32), Buffer.alloc(64), 1_767_225_600_000 + leaf, body);
      }
    }
    for (const node of tree.append(leafHashes).nodes) insertNode.run(node.level, node.index, node.hash);
  });
  for (let from = 0; from < size; from += chunk) {
    insertChunk(from, Math.min(size, from + chunk));
    if (from % 1_000_000 === 0) process.stderr.write(`bench: proofs: building the ${size.toLocaleString('en-US')}-leaf store (${from.toLocaleString('en-US')})\n`);
  }
  db.prepare('UPDATE log_head SET tree_size = ? WHERE singleton = 0').run(size);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  renameSync(building, path);
  return path;
}

/** One GET; resolves with its latency and its body (parsed when JSON). */
function get(agent, url) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    http
      .get(url, { agent }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const millis = performance.now() - started;
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) return reject(new Error(`${url}: ${response.statusCode} ${text}`));
          try {
            resolve({ millis, body: response.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : text });
          } catch (error) {
            reject(error);
          }
        });
      })
      .on('error', reject);
  });
}

async function measureSize(size, requests, cacheDirectory, smoke) {
  const source = await proofStore(size, cacheDirectory);
  // A copy: the collector writes a checkpoint to the store it opens, and the cached one stays as built.
  const directory = mkdtempSync(join(tmpdir(), 'facto-bench-proofs-'));
  cpSync(source, join(directory, 'facto.db'));
  // The built store holds leaves but no checkpoint: the collector makes no key for a log that has
  // entries, so the one that will sign its checkpoints is given.
  writeFileSync(join(directory, 'log.pem'), privateKeyToPem(generateKeyPair().privateKey), { mode: 0o600 });
  const { url, child } = await startCollector(directory, []);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const leaves = sampledLeaves(size);
    // The first inclusion request signs the checkpoint the rest are proved against.
    const first = await get(agent, `${url}/v1/proofs/inclusion?leaf_index=${size - 1}`);
    const checkpoint = (await get(agent, `${url}/v1/checkpoints/latest`)).body;
    const log = (await get(agent, `${url}/v1/log`)).body;
    const opened = openCheckpoint(checkpoint, [parseVerifierKey(log.verifier_key)]).checkpoint;
    if (opened.treeSize !== size || first.body.tree_size !== size) throw new Error(`checkpoint at ${opened.treeSize}, expected ${size}`);
    const rootHash = opened.rootHash;

    const baseline = [];
    const inclusion = [];
    const consistency = [];
    const answers = [];
    let firstConsistency;
    // Warm-up, not measured: a collector that has been serving has its hot paths compiled. Without it
    // the p99 measures V8 tiering up in the first seconds after start, not the store (measured: over
    // the first 3,000 rounds after start every kind of request has a p99 of 1.6 to 2.6 ms, including
    // GET /v1/log; after them, under 1.2 ms).
    const warmup = smoke ? 20 : WARMUP_ROUNDS;
    // Each measured request asks for a leaf no request asked for before (the stride is prime to
    // SAMPLED); the warm-up cycles through the sampled leaves left over, so none of its answers is
    // one the measured requests repeat.
    const measuredLeaves = Array.from({ length: requests }, (_, index) => leaves[(index * 7_919) % leaves.length]);
    const measured = new Set(measuredLeaves);
    const warmLeaves = leaves.filter((leaf) => !measured.has(leaf));
    if (measured.size !== requests || warmLeaves.length === 0) throw new Error(`${requests} measured leaves need ${requests + 1} or more sampled leaves, distinct`);
    // The loop only asks and times; proofs are checked after it, so the client's own work (and its
    // garbage) does not sit inside the next measured request.
    for (let index = -warmup; index < requests; index++) {
      const round = await get(agent, `${url}/v1/log`);
      const leaf = index < 0 ? warmLeaves[(index + warmup) % warmLeaves.length] : measuredLeaves[index];
      const answer = await get(agent, `${url}/v1/proofs/inclusion?leaf_index=${leaf}`);
      const from = 1 + (((index + warmup) * 104_729) % (size - 1));
      const proof = await get(agent, `${url}/v1/proofs/consistency?from=${from}&to=${size}`);
      if (index === -warmup) firstConsistency = proof.body.hashes;
      if (index < 0) continue;
      answers.push({ leaf, inclusion: answer.body.hashes, from, consistency: proof.body.hashes });
      baseline.push(round.millis);
      inclusion.push(answer.millis);
      consistency.push(proof.millis);
    }
    for (const answer of answers) {
      if (!verifyInclusion({ leafHash: hashLeaf(entryHash(answer.leaf)), index: answer.leaf, treeSize: size, proof: answer.inclusion.map((hash) => fromHex(hash)), root: rootHash })) throw new Error(`inclusion proof of leaf ${answer.leaf} does not verify`);
      if (answer.consistency.length === 0) throw new Error(`empty consistency proof from ${answer.from}`);
    }
    // One consistency proof checked end to end: the first warm-up one (from = 1), against the reference tree's root at 1.
    const from = 1;
    const reference = new MerkleTree();
    reference.append(Array.from({ length: from }, (_, leafIndex) => hashLeaf(entryHash(leafIndex))));
    if (!verifyConsistency({ size1: from, size2: size, proof: firstConsistency.map((hash) => fromHex(hash)), root1: reference.root(), root2: rootHash })) throw new Error('consistency proof does not verify');
    return { baseline, inclusion, consistency };
  } finally {
    agent.destroy();
    await stopCollector(child);
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The same loop of GETs against a bare node:http server answering a constant: what this machine's round trip costs at p50 and p99. */
async function measureBareServer(requests, warmup) {
  const child = spawn(process.execPath, [join(root, 'bench/bare-http-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const url = await new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /listening on (\S+)/.exec(line);
        if (match) resolve(match[1]);
      });
    });
    const sample = [];
    for (let index = -3 * warmup; index < 3 * requests; index++) {
      const { millis } = await get(agent, `${url}/v1/log`);
      if (index >= 0) sample.push(millis);
    }
    return sample;
  } finally {
    agent.destroy();
    child.kill();
  }
}

export async function run({ smoke }) {
  const sizes = smoke ? [1_000] : [1_000_000, 10_000_000];
  // Measured requests ask for distinct sampled leaves, and the warm-up for the others (measureSize).
  const requests = smoke ? 20 : SAMPLED - 200;
  const rows = [];
  const bare = await measureBareServer(requests, smoke ? 20 : WARMUP_ROUNDS);
  rows.push(
    row('bare node:http server, constant answer: p50 (the machine)', percentile(bare, 50), 'ms', `${bare.length} requests`),
    row('bare node:http server, constant answer: p99', percentile(bare, 99), 'ms'),
  );
  // Smoke stores are throwaway; full-size ones are worth keeping between runs.
  const cacheDirectory = smoke ? mkdtempSync(join(tmpdir(), 'facto-bench-proof-stores-')) : join(root, 'bench/.cache');
  for (const size of sizes) {
    const { baseline, inclusion, consistency } = await measureSize(size, requests, cacheDirectory, smoke);
    const label = size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`;
    const base = percentile(baseline, 50);
    rows.push(
      row(`${label} leaves: GET /v1/log p50 (baseline: one round trip)`, base, 'ms'),
      row(`${label} leaves: GET /v1/log p99`, percentile(baseline, 99), 'ms'),
      row(`${label} leaves: inclusion proof p50`, percentile(inclusion, 50), 'ms', `${(percentile(inclusion, 50) / base).toFixed(2)}x the round trip`),
      row(`${label} leaves: inclusion proof p99`, percentile(inclusion, 99), 'ms', 'goal: under 2 ms'),
      row(`${label} leaves: consistency proof p50`, percentile(consistency, 50), 'ms', `${(percentile(consistency, 50) / base).toFixed(2)}x the round trip`),
      row(`${label} leaves: consistency proof p99`, percentile(consistency, 99), 'ms', 'goal: under 2 ms'),
    );
  }
  if (smoke) rmSync(cacheDirectory, { recursive: true, force: true });
  return { title: `proofs over HTTP from the SQLite store (${requests} of each, one at a time, each checked against the signed root)`, rows };
}
