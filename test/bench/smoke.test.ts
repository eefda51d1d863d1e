/**
 * `npm run bench` at toy sizes (`--smoke`), so the harness keeps working: every suite runs against
 * the built packages and reports every row it promises, as numbers. Nothing here times anything:
 * smoke figures are not measurements, and no assertion depends on how fast the machine is.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'facto-bench-smoke-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Row {
  name: string;
  value: number | string;
  unit: string;
}

describe('npm run bench --smoke', () => {
  it('runs every suite and reports each promised row as a number', () => {
    const out = join(folder, 'smoke.json');
    const run = spawnSync(process.execPath, ['bench/run.mjs', '--smoke', `--out=${out}`], { cwd: root, encoding: 'utf8', timeout: 240_000 });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as { smoke: boolean; machine: { cpus: number }; suites: Record<string, { rows: Row[] }> };
    expect(results.smoke).toBe(true);
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(Object.keys(results.suites)).toEqual(['primitives', 'sdk', 'ingest', 'storage', 'proofs', 'bundle', 'postgres']);
    const names = (suite: string) => results.suites[suite]!.rows.map((row) => row.name.trim());
    expect(names('ingest')).toEqual(expect.arrayContaining([expect.stringMatching(/verify ceiling/), 'steady (8 connections): spans acknowledged', 'overload (32 connections): request latency p99', 'overload (32 connections): acknowledged but not stored', 'steady (8 connections): CPU per span, examination workers', 'steady (8 connections): CPU per span, main thread']));
    expect(names('storage')).toEqual(expect.arrayContaining(['OTLP/protobuf request bytes per span (baseline)', 'SQLite file per span', 'events']));
    expect(names('proofs')).toEqual(['bare node:http server, constant answer: p50 (the machine)', 'bare node:http server, constant answer: p99', '1k leaves: GET /v1/log p50 (baseline: one round trip)', '1k leaves: GET /v1/log p99', '1k leaves: inclusion proof p50', '1k leaves: inclusion proof p99', '1k leaves: consistency proof p50', '1k leaves: consistency proof p99']);
    expect(names('bundle')).toEqual(['Ed25519 verify, one core (baseline)', 'events verified per CPU-second', 'events verified per second of wall time', 'peak resident memory']);
    const measured = Object.entries(results.suites).flatMap(([suite, { rows }]) => rows.filter((row) => row.name !== 'not run').map((row) => ({ suite, ...row })));
    for (const row of measured) expect(Number.isFinite(row.value) && (row.value as number) >= 0, `${row.suite}: ${row.name} = ${row.value}`).toBe(true);
    // Nothing acknowledged may be missing from the store, even at smoke size.
    expect(results.suites.ingest!.rows.filter((row) => row.name.endsWith('acknowledged but not stored')).map((row) => row.value)).toEqual([0, 0]);
  }, 300_000);
});
