/**
 * Ingest on PostgreSQL with 1, 2 and 3 `facto collector` processes on one database, as ratios to one
 * process on SQLite measured in the same run (docs/scale-out.md reads these figures). Every
 * configuration gets the same load: realistic signed GenAI spans (OTLP/protobuf), each agent sending
 * its chain one request after the other, all agents at once, request i of agent a to process
 * (a + i) mod n. Every span is verified and committed durably before its 200: SQLite with
 * synchronous=FULL, PostgreSQL with fsync=on and synchronous_commit=on (its defaults). Requests are
 * signed before the clock starts; the sender shares the machine's cores.
 *
 * The PostgreSQL server is started here (initdb into a temporary folder, a free port) from
 * /usr/lib/postgresql/N/bin, or taken from FACTO_BENCH_POSTGRES_URL (a database the run may empty).
 * Without either, the suite reports that it did not run and why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, stopCollector } from '../collector-process.mjs';
import { row } from '../harness.mjs';
import { realisticWorkload } from '../realistic-spans.mjs';

const pg = createRequire(new URL('../../collector/package.json', import.meta.url))('pg');
const POSTGRES_ROOT = '/usr/lib/postgresql';

function postgresBin() {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const version = readdirSync(POSTGRES_ROOT).filter((name) => existsSync(join(POSTGRES_ROOT, name, 'bin', 'pg_ctl'))).sort((left, right) => Number(right) - Number(left))[0];
  return version === undefined ? undefined : join(POSTGRES_ROOT, version, 'bin');
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway server with PostgreSQL's durable defaults; returns its URL and how to stop it. */
async function startPostgres(bin, folder) {
  const data = join(folder, 'data');
  // initdb refuses to run as root: as root, run the server as the postgres user.
  const owner = process.getuid() === 0 ? { uid: Number(spawnSync('id', ['-u', 'postgres']).stdout), gid: Number(spawnSync('id', ['-g', 'postgres']).stdout) } : {};
  writeFileSync(join(folder, 'password'), 'bench');
  if (owner.uid !== undefined) for (const path of [folder, join(folder, 'password')]) chownSync(path, owner.uid, owner.gid);
  const port = await freePort();
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'facto', `--pwfile=${join(folder, 'password')}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'], { ...owner, stdio: 'ignore' });
  const ctl = (...args) => execFileSync(join(bin, 'pg_ctl'), ['-D', data, ...args], { ...owner, stdio: 'ignore' });
  ctl('-l', join(folder, 'server.log'), '-o', `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1`, '-w', 'start');
  return { url: (database) => `postgres://facto:bench@127.0.0.1:${port}/${database}`, stop: () => ctl('-m', 'fast', '-w', 'stop') };
}

async function send(chains, urls) {
  const started = performance.now();
  let spans = 0;
  await Promise.all(
    chains.map(async (chain, agent) => {
      for (let index = 0; index < chain.length; index++) {
        const response = await fetch(`${urls[(agent + index) % urls.length]}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: chain[index].body });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`ingest failed: ${response.status} ${text.slice(0, 200)}`);
        spans += chain[index].spans;
      }
    }),
  );
  return spans / ((performance.now() - started) / 1000);
}

/** Starts `count` collectors on `db` (the first alone, so it creates the schema), sends the load, stops them. */
async function measure(folder, db, count, chains) {
  // Every process of one log shares its log key file (in this folder): the first creates it.
  const directory = mkdtempSync(join(folder, 'collector-'));
  const options = db === undefined ? {} : { db };
  const first = await startCollector(directory, [], options);
  const collectors = [first, ...(await Promise.all(Array.from({ length: count - 1 }, () => startCollector(directory, [], options))))];
  try {
    return await send(chains, collectors.map((collector) => collector.url));
  } finally {
    await Promise.all(collectors.map((collector) => stopCollector(collector.child)));
  }
}

export async function run({ smoke }) {
  const external = process.env.FACTO_BENCH_POSTGRES_URL;
  const bin = postgresBin();
  const title = 'ingest on PostgreSQL, several collector processes on one database, against one process on SQLite';
  if (external === undefined && bin === undefined) {
    return { title, rows: [row('not run', 'PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql) and FACTO_BENCH_POSTGRES_URL not set', '')] };
  }
  const shape = smoke ? { agents: 2, spansPerChain: 40, spansPerRequest: 20 } : { agents: 6, spansPerChain: 1_600, spansPerRequest: 200 };
  const { requests } = realisticWorkload({ agents: shape.agents, chainsPerAgent: 1, spansPerChain: shape.spansPerChain, spansPerRequest: shape.spansPerRequest });
  const perChain = Math.ceil(shape.spansPerChain / shape.spansPerRequest);
  const chains = Array.from({ length: shape.agents }, (_, agent) => requests.slice(agent * perChain, (agent + 1) * perChain).map((body) => ({ body, spans: shape.spansPerRequest })));

  const folder = mkdtempSync(join(tmpdir(), 'facto-bench-pg-'));
  const server = external ? undefined : await startPostgres(bin, folder);
  try {
    // The baseline: SQLite, the embedded default, one process. The collector's own folder holds it.
    const sqlite = await measure(folder, undefined, 1, chains);
    const rows = [row('SQLite (FULL), 1 process (baseline)', sqlite, 'spans/s')];
    for (const count of [1, 2, 3]) {
      let db;
      if (external) {
        // One database for every configuration: the bench owns it and empties it between runs.
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
      const rate = await measure(folder, db, count, chains);
      rows.push(row(`PostgreSQL, ${count} process${count > 1 ? 'es' : ''}`, rate, 'spans/s', `${(rate / sqlite).toFixed(2)}x SQLite`));
    }
    return { title: `${title} (${shape.agents} agents, requests of ${shape.spansPerRequest} spans, all agents at once)`, rows };
  } finally {
    server?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
