/**
 * Ingest on PostgreSQL with 1, 2 and 3 `facto collector` processes on one database, as ratios to one
 * process on SQLite measured in the same run. Every configuration gets the same load: AGENTS agents,
 * each sending its chain as REQUESTS requests of SPANS_PER_REQUEST signed spans (OTLP/JSON), the
 * next request once the last was acknowledged, all agents at once, request i of agent a to process
 * (a + i) mod n. Every span is verified and committed durably before its 200: SQLite with
 * synchronous=FULL, PostgreSQL with fsync=on and synchronous_commit=on (its defaults). The request
 * bodies are signed before the clock starts, so signing is not measured; the sender runs on the same
 * machine and takes its share of the cores. Figures compare within one run, never across machines.
 *
 * The PostgreSQL server is started here (initdb into a temporary folder, a free port) from
 * /usr/lib/postgresql/N/bin, or taken from FACTO_BENCH_POSTGRES_URL (a database the run may fill).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_CONTENT_KEYS, generateKeyPair, keyId, sealSpan, toHex, toTypedValue, ZERO_HASH_HEX } from '@facto/core';
import pg from 'pg';
import { report } from '../../bench/harness.mjs';

const AGENTS = 6;
const REQUESTS = 8;
const SPANS_PER_REQUEST = 200;
const cli = new URL('../../packages/cli/bin/facto.mjs', import.meta.url).pathname;
const folder = mkdtempSync(join(tmpdir(), 'facto-bench-pg-'));

function anyValue(value) {
  if ('s' in value) return { stringValue: value.s };
  if ('i' in value) return { intValue: value.i };
  if ('d' in value) return { doubleValue: value.d };
  if ('b' in value) return { boolValue: value.b };
  return { arrayValue: { values: value.a.map(anyValue) } };
}

let serial = 0;
/** One agent's chain as REQUESTS OTLP/JSON bodies. */
function agentBodies(agent) {
  const keys = generateKeyPair();
  let prevHash = ZERO_HASH_HEX;
  let seq = 0;
  return Array.from({ length: REQUESTS }, () => {
    const spans = Array.from({ length: SPANS_PER_REQUEST }, () => {
      serial++;
      const span = {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: serial.toString(16).padStart(16, '0'), parentSpanId: '', name: 'chat gpt-4o', kind: 3,
        startTimeUnixNano: '1732280000000000000', endTimeUnixNano: '1732280000250000000', status: { code: 0, message: '' }, events: [], links: [],
        attributes: Object.entries({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 420 }).map(([key, value]) => [key, toTypedValue(value)]),
      };
      const sealed = sealSpan({ span, chain: { factoId: `ft-00000000-0000-4000-8000-${serial.toString(16).padStart(12, '0')}`, agentId: `bench-${agent}`, chainId: 'bench', seq, prevHash, keyId: keyId(keys.publicKey), dropped: 0 }, privateKey: keys.privateKey, publicKey: toHex(keys.publicKey), contentKeys: new Set(DEFAULT_CONTENT_KEYS), capture: 'full' });
      prevHash = toHex(sealed.hash);
      seq++;
      const attributes = [...span.attributes, ...Object.entries(sealed.attributes).map(([key, value]) => [key, toTypedValue(value)])];
      return { ...span, attributes: attributes.map(([key, value]) => ({ key, value: anyValue(value) })) };
    });
    return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'bench' }, spans }] }] });
  });
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway server with PostgreSQL's durable defaults; returns its URL and how to stop it. */
async function startPostgres() {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'pg_ctl'))).sort((left, right) => right - left)[0] : undefined;
  if (version === undefined) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql), and FACTO_BENCH_POSTGRES_URL is not set');
  const bin = join(root, version, 'bin');
  const data = join(folder, 'data');
  const owner = process.getuid() === 0 ? { uid: Number(spawnSync('id', ['-u', 'postgres']).stdout), gid: Number(spawnSync('id', ['-g', 'postgres']).stdout) } : {};
  writeFileSync(join(folder, 'password'), 'bench');
  if (owner.uid !== undefined) for (const path of [folder, join(folder, 'password')]) chownSync(path, owner.uid, owner.gid);
  const port = await freePort();
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'facto', `--pwfile=${join(folder, 'password')}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'], { ...owner, stdio: 'ignore' });
  const ctl = (...args) => execFileSync(join(bin, 'pg_ctl'), ['-D', data, ...args], { ...owner, stdio: 'ignore' });
  ctl('-l', join(folder, 'server.log'), '-o', `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1`, '-w', 'start');
  return { url: (database) => `postgres://facto:bench@127.0.0.1:${port}/${database}`, stop: () => ctl('-m', 'fast', '-w', 'stop') };
}

async function startCollector(db, logKey) {
  const child = spawn(process.execPath, [cli, 'collector', '--port', '0', '--log-key', logKey, '--checkpoint-interval', '3600', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FACTO_DB: db } });
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { url, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

async function send(bodies, urls) {
  const start = performance.now();
  await Promise.all(bodies.map(async (chain, agent) => {
    for (let index = 0; index < chain.length; index++) {
      const response = await fetch(`${urls[(agent + index) % urls.length]}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chain[index] });
      const text = await response.text();
      if (response.status !== 200 || text.includes('rejected')) throw new Error(`ingest failed: ${response.status} ${text.slice(0, 200)}`);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const spans = AGENTS * REQUESTS * SPANS_PER_REQUEST;
  return { opsPerSecond: spans / seconds, microseconds: (seconds * 1e6) / spans };
}

/** Starts `count` collectors on `db` (the first alone, so it creates the schema), sends the load, stops them. */
async function run(name, db, count) {
  const logKey = join(folder, `${name.replace(/\W+/g, '-')}.pem`);
  const first = await startCollector(db, logKey);
  const collectors = [first, ...(await Promise.all(Array.from({ length: count - 1 }, () => startCollector(db, logKey))))];
  try {
    const result = { name, ...(await send(bodies, collectors.map((collector) => collector.url))) };
    // Where the time went, from the collectors' own histograms: verification runs outside the
    // sequencer lock, "commit" is the sequencing section including the wait for the lock.
    const totals = { verify: 0, commit: 0, requests: 0 };
    for (const collector of collectors) {
      const text = await (await fetch(`${collector.url}/metrics`)).text();
      const value = (metric) => Number(new RegExp(`^${metric} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      totals.verify += value('facto_verify_seconds_sum');
      totals.commit += value('facto_commit_seconds_sum');
      totals.requests += value('facto_commit_seconds_count');
    }
    result.breakdown = `examine (facto_verify_seconds) ${((totals.verify / totals.requests) * 1000).toFixed(1)} ms, sequence+commit (facto_commit_seconds) ${((totals.commit / totals.requests) * 1000).toFixed(1)} ms per request`;
    return result;
  } finally {
    await Promise.all(collectors.map((collector) => collector.stop()));
  }
}

const bodies = Array.from({ length: AGENTS }, (_, agent) => agentBodies(agent));
const external = process.env.FACTO_BENCH_POSTGRES_URL;
const server = external ? undefined : await startPostgres();
try {
  const rows = [await run('SQLite FULL, 1 process', join(folder, 'facto.db'), 1)];
  for (const count of [1, 2, 3]) {
    let db;
    if (external) {
      // One database for every run: empty it between runs (the bench owns it).
      const client = new pg.Client({ connectionString: external });
      await client.connect();
      await client.query('DROP TABLE IF EXISTS events, log_entries, merkle_nodes, log_head, checkpoints, agent_keys, incidents, unverified_spans, schema_migrations CASCADE');
      await client.end();
      db = external;
    } else {
      const client = new pg.Client({ connectionString: server.url('postgres') });
      await client.connect();
      await client.query(`CREATE DATABASE bench_${count}`);
      await client.end();
      db = server.url(`bench_${count}`);
    }
    rows.push(await run(`PostgreSQL, ${count} process${count > 1 ? 'es' : ''}`, db, count));
  }
  for (const row of rows.slice(1)) row.ratio = `${(row.opsPerSecond / rows[0].opsPerSecond).toFixed(2)}x SQLite's throughput`;
  for (const row of rows) console.log(`  ${row.name}: ${row.breakdown}`);
  report(`ingest, ${AGENTS} agents x ${REQUESTS} requests of ${SPANS_PER_REQUEST} signed spans (OTLP/JSON), all agents at once, collectors as separate processes`, rows);
} finally {
  server?.stop();
  rmSync(folder, { recursive: true, force: true });
}
