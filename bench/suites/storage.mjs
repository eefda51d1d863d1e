/**
 * Bytes on disk per span: realistic GenAI spans (about 1 KB of attributes with content, stored with
 * their disclosures) sent to the real `facto collector` over OTLP/protobuf, then the SQLite file read
 * back with dbstat: the whole file per span, and each table and index. The baseline in the same run
 * is the OTLP/protobuf request itself, the bytes the exporter sent for the same spans: the store
 * holds everything verification and the API need, and the ratio says what that costs beside the wire.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, stopCollector } from '../collector-process.mjs';
import { row } from '../harness.mjs';
import { realisticWorkload } from '../realistic-spans.mjs';

const Database = createRequire(new URL('../../collector/package.json', import.meta.url))('better-sqlite3');

export async function run({ smoke }) {
  const workload = smoke ? { agents: 2, chainsPerAgent: 2, spansPerChain: 20, spansPerRequest: 10 } : { agents: 8, chainsPerAgent: 8, spansPerChain: 400, spansPerRequest: 100 };
  const { requests, spans } = realisticWorkload(workload);
  const wireBytes = requests.reduce((sum, body) => sum + body.length, 0);

  const directory = mkdtempSync(join(tmpdir(), 'facto-bench-storage-'));
  try {
    const database = join(directory, 'facto.db');
    const { url, child } = await startCollector(directory, []);
    try {
      for (const body of requests) {
        const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
        if (response.status !== 200) throw new Error(`the collector answered ${response.status}: ${await response.text()}`);
      }
    } finally {
      await stopCollector(child);
    }

    const db = new Database(database);
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      const stored = db.prepare('SELECT count(*) AS count FROM events').get().count;
      if (stored !== spans) throw new Error(`${stored} events stored, ${spans} sent`);
      const objects = db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE aggregate = FALSE GROUP BY name ORDER BY bytes DESC").all();
      const fileBytes = statSync(database).size;
      const perSpan = fileBytes / spans;
      const wirePerSpan = wireBytes / spans;
      const rows = [
        row('OTLP/protobuf request bytes per span (baseline)', wirePerSpan, 'B/span', 'what the exporter sent'),
        row('SQLite file per span', perSpan, 'B/span', `${(perSpan / wirePerSpan).toFixed(2)}x the wire; ${spans} spans, ${(fileBytes / 2 ** 20).toFixed(1)} MiB`),
      ];
      const listed = objects.filter((object) => object.bytes / spans >= 1);
      for (const object of listed) rows.push(row(`  ${object.name}`, object.bytes / spans, 'B/span'));
      const schema = db.prepare('SELECT max(version) AS version FROM schema_migrations').get().version;
      return { title: `bytes on disk per realistic GenAI span (SQLite schema ${schema}, page size ${db.pragma('page_size', { simple: true })})`, rows, workload, spans };
    } finally {
      db.close();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
